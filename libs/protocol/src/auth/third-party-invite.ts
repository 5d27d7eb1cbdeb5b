import { decodeBase64, decodeBase64Url } from '../base64';
import type { JsonObject, Pdu } from '../events';
import { publicKeyFromBase64, verifyJsonSignature } from '../signing';

/**
 * Rule 5.4.1.7: any signature in `signed` by any public key of the
 * m.room.third_party_invite event (`public_key` and `public_keys[].public_key`,
 * either base64 alphabet).
 */
export function thirdPartyInviteSignatureMatches(signed: JsonObject, invite: Pdu): boolean {
  const keys = [
    invite.content.public_key,
    ...(Array.isArray(invite.content.public_keys) ? invite.content.public_keys : []).map(
      (k) => (k as JsonObject)?.public_key,
    ),
  ]
    .filter((k): k is string => typeof k === 'string')
    .map(normaliseKey)
    .filter((k): k is string => k !== undefined);
  const signatures = signed.signatures as Record<string, Record<string, unknown>> | undefined;
  if (!signatures || typeof signatures !== 'object') return false;
  for (const [server, byKey] of Object.entries(signatures)) {
    for (const keyId of Object.keys(byKey ?? {})) {
      if (!keyId.startsWith('ed25519:')) continue;
      if (keys.some((key) => verifyJsonSignature(signed, server, keyId, publicKeyFromBase64(key)))) return true;
    }
  }
  return false;
}

/** Public keys may be published URL-safe; verification wants the standard alphabet. */
function normaliseKey(key: string): string | undefined {
  try {
    const raw = /[-_]/.test(key) ? decodeBase64Url(key) : decodeBase64(key);
    return raw.length === 32 ? raw.toString('base64').replace(/=+$/, '') : undefined;
  } catch {
    return undefined;
  }
}
