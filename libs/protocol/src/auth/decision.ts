import type { AuthDecision } from './types';

export const ALLOW: AuthDecision = { allowed: true };

/** A rejection naming the rule (numbered as in rooms/v12.md, the version-neutral name after it). */
export function reject(rule: string, reason: string): AuthDecision {
  return { allowed: false, rule, reason };
}
