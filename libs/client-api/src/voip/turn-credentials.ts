import { createHmac } from 'node:crypto';
import type { LatticeConfig } from '@lattice/config';

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

/**
 * The TURN credentials a user gets (voip.yaml): with a shared secret, the
 * TURN REST API's time-limited pair (username "<expiry seconds>:<user ID>",
 * password the base64 HMAC-SHA1 of the username under the secret, which
 * coturn's use-auth-secret checks); else the configured fixed pair.
 * Undefined when no TURN server is configured.
 */
export function turnCredentials(
  voip: LatticeConfig['voip'],
  userId: string,
  nowMs: number,
): TurnCredentials | undefined {
  if (voip.turnUris.length === 0) return undefined;
  const ttl = voip.turnTtlSeconds;
  if (voip.turnSharedSecret !== undefined) {
    const username = `${Math.floor(nowMs / 1000) + ttl}:${userId}`;
    return {
      username,
      password: createHmac('sha1', voip.turnSharedSecret).update(username).digest('base64'),
      uris: voip.turnUris,
      ttl,
    };
  }
  if (voip.turnUsername === undefined || voip.turnPassword === undefined) return undefined;
  return { username: voip.turnUsername, password: voip.turnPassword, uris: voip.turnUris, ttl };
}
