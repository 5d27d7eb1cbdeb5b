import { isValidKeyId, publicKeyFromBase64, verifyJsonSignature, type JsonObject } from '@lattice/protocol';

/** A key as a server published it. */
export interface PublishedKey {
  keyId: string;
  publicKey: string;
  /** For a current key: until when it may be used (already capped, see below). */
  validUntilTs: number;
  /** For an old key: when the server stopped using it. */
  expiredTs?: number;
}

/** server-server-api keys_server: "Servers MUST use the lesser of this field and 7 days into the future". */
const MAX_VALIDITY_MS = 7 * 24 * 3600_000;

/**
 * Checks a /_matrix/key/v2/server response for `serverName` (as fetched
 * directly or inside a notary's answer): it names that server, and every key
 * in verify_keys has signed it. Returns its keys, current and old, with the
 * validity capped at seven days from `now`; or the reason it is refused.
 */
export function checkKeyResponse(
  response: unknown,
  serverName: string,
  now: number,
): { keys: PublishedKey[] } | { error: string } {
  const body = response as JsonObject;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'not a JSON object' };
  if (body.server_name !== serverName)
    return { error: `server_name is ${JSON.stringify(body.server_name)}, not ${serverName}` };
  if (typeof body.valid_until_ts !== 'number') return { error: 'valid_until_ts is missing' };
  const verifyKeys = body.verify_keys as Record<string, { key?: unknown }> | undefined;
  if (typeof verifyKeys !== 'object' || verifyKeys === null || Object.keys(verifyKeys).length === 0)
    return { error: 'verify_keys is empty' };
  const validUntilTs = Math.min(body.valid_until_ts, now + MAX_VALIDITY_MS);
  const keys: PublishedKey[] = [];
  for (const [keyId, entry] of Object.entries(verifyKeys)) {
    if (!isValidKeyId(keyId) || typeof entry?.key !== 'string') return { error: `verify key ${keyId} is malformed` };
    let signedByIt = false;
    try {
      signedByIt = verifyJsonSignature(body, serverName, keyId, publicKeyFromBase64(entry.key));
    } catch {
      return { error: `verify key ${keyId} is not an ed25519 key` };
    }
    if (!signedByIt) return { error: `the response is not signed by ${keyId}` };
    keys.push({ keyId, publicKey: entry.key, validUntilTs });
  }
  for (const [keyId, entry] of Object.entries(
    (body.old_verify_keys as Record<string, { key?: unknown; expired_ts?: unknown }> | undefined) ?? {},
  )) {
    if (
      isValidKeyId(keyId) &&
      typeof entry?.key === 'string' &&
      typeof entry.expired_ts === 'number' &&
      !(keyId in verifyKeys)
    ) {
      keys.push({ keyId, publicKey: entry.key, validUntilTs: entry.expired_ts, expiredTs: entry.expired_ts });
    }
  }
  return { keys };
}
