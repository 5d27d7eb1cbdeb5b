import type { AuthDecision } from './types';

export const ALLOW: AuthDecision = { allowed: true };

/** A rejection naming the rule (numbered as in rooms/v12.md, the version-neutral name after it). */
export function reject(rule: string, reason: string): AuthDecision {
  return { allowed: false, rule, reason };
}

/**
 * A rejection for what the event itself holds, whoever sends it and whatever the room's state:
 * a client offering such an event made a bad request (400) rather than lacking permission (403).
 */
export function malformed(rule: string, reason: string): AuthDecision {
  return { allowed: false, rule, reason, malformed: true };
}
