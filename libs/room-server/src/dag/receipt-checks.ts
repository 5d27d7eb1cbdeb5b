import {
  checkAuthEventsShape,
  checkEventAuth,
  oversizedInBytes,
  stateKey,
  type HeldAuthEvent,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';
import type { StateSet } from './state-set';

/** What becomes of an event another server sent, once authorised. */
export type Receipt =
  { status: 'accepted' } | { status: 'softFailed'; reason: string } | { status: 'rejected'; reason: string };

/**
 * Steps 4 to 6 of server-server-api "Checks performed on receipt of a
 * PDU": the event must pass the auth rules against its own auth events
 * (which must be the right ones, none rejected) and against the state
 * before it, or it is rejected; if it then fails against the room's
 * current state (the resolution of the forward extremities' states) it is
 * soft failed: kept and part of the DAG, but not shown to clients nor built
 * upon.
 */
export function checkReceivedEvent(
  version: RoomVersion,
  pdu: Pdu,
  authEvents: HeldAuthEvent[],
  before: StateSet,
  current: StateSet,
): Receipt {
  const byAuthEvents = checkAgainstAuthEvents(
    version,
    pdu,
    authEvents,
    before.entries.get(stateKey('m.room.create', ''))?.pdu,
  );
  if (byAuthEvents) return { status: 'rejected', reason: byAuthEvents };
  const byStateBefore = checkEventAuth(version, pdu, (t, k) => before.entries.get(stateKey(t, k))?.pdu);
  if (!byStateBefore.allowed)
    return { status: 'rejected', reason: `against the state before it: ${byStateBefore.reason}` };
  if (current !== before) {
    const byCurrent = checkEventAuth(version, pdu, (t, k) => current.entries.get(stateKey(t, k))?.pdu);
    if (!byCurrent.allowed) return { status: 'softFailed', reason: `against the current state: ${byCurrent.reason}` };
  }
  return { status: 'accepted' };
}

/**
 * Step 4 alone (what history fetched with /backfill gets, as the state at
 * it is not known): why the event fails against its own auth events, or
 * undefined when it passes. From v12 the create event is not among
 * auth_events (the room ID names it): `create` stands in for it.
 */
export function checkAgainstAuthEvents(
  version: RoomVersion,
  pdu: Pdu,
  authEvents: HeldAuthEvent[],
  create: Pdu | undefined,
): string | undefined {
  const oversized = oversizedInBytes(version, pdu);
  if (oversized) return `${oversized} exceeds 255 bytes`;
  const shape = checkAuthEventsShape(version, pdu, authEvents);
  if (!shape.allowed) return `auth events: ${shape.reason}`;
  const byKey = new Map(authEvents.map(({ pdu: e }) => [stateKey(e.type, e.state_key ?? ''), e]));
  if (create && !byKey.has(stateKey('m.room.create', ''))) byKey.set(stateKey('m.room.create', ''), create);
  const decision = checkEventAuth(version, pdu, (t, k) => byKey.get(stateKey(t, k)));
  return decision.allowed ? undefined : `against its auth events: ${decision.reason}`;
}
