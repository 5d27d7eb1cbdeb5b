import type { Pdu } from '../events';

/**
 * The state an event is authorised against: the event's auth events, the
 * room state before it, or the current state (soft-fail), depending on the
 * caller. Returns the PDU of the state event at (type, stateKey), if any.
 */
export type AuthStateLookup = (type: string, stateKey: string) => Pdu | undefined;

/** Outcome of the authorization rules: which numbered rule rejected the event, and why. */
export type AuthDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly rule: string; readonly reason: string; readonly malformed?: true };
