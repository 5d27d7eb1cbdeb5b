import { Errors, MatrixError } from '@lattice/http';
import { canonicalJson, publicKeyFromBase64, verifyJsonSignature, type JsonObject } from '@lattice/protocol';

/**
 * The rules of cross-signing keys and signatures (client-server-api
 * "Cross-signing", POST /keys/device_signing/upload and
 * /keys/signatures/upload), as pure functions over the keys involved.
 */

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

export const CROSS_SIGNING_USAGES: readonly CrossSigningUsage[] = ['master', 'self_signing', 'user_signing'];

/** Signatures as a key ID -> signature map of one signer. */
export type SignatureMap = Record<string, string>;

/** A signature upload's outcome for one key: the signatures to keep, or the error for `failures`. */
export type SignatureOutcome = { signatures: SignatureMap } | { failure: { errcode: string; error: string } };

/**
 * The public key of a well-formed cross-signing key of `userId` for `usage`:
 * its user_id, its usage list, and exactly one ed25519 key named after itself.
 */
export function crossSigningPublicKey(key: unknown, userId: string, usage: CrossSigningUsage): string {
  if (typeof key !== 'object' || key === null || Array.isArray(key))
    throw Errors.badJson(`${usage} key must be an object`);
  const k = key as JsonObject;
  if (k.user_id !== userId) throw Errors.invalidParam(`The ${usage} key must be for ${userId}`);
  if (!Array.isArray(k.usage) || !k.usage.includes(usage))
    throw Errors.invalidParam(`The ${usage} key must have usage ${usage}`);
  const keys = k.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys))
    throw Errors.invalidParam(`The ${usage} key has no keys`);
  const entries = Object.entries(keys);
  const [keyId, publicKey] = entries[0] ?? [];
  if (
    entries.length !== 1 ||
    typeof publicKey !== 'string' ||
    keyId !== `ed25519:${publicKey}` ||
    !isEd25519PublicKey(publicKey)
  ) {
    throw Errors.invalidParam(`The ${usage} key must hold one ed25519 key, as ed25519:<public key>`);
  }
  return publicKey;
}

function isEd25519PublicKey(base64: string): boolean {
  try {
    publicKeyFromBase64(base64);
    return true;
  } catch {
    return false;
  }
}

/** Whether `userId` signed `object` with the ed25519 key `publicKey` under the key ID `keyId` (by default `ed25519:<publicKey>`). */
export function signedBy(
  object: JsonObject,
  userId: string,
  publicKey: string,
  keyId = `ed25519:${publicKey}`,
): boolean {
  try {
    return verifyJsonSignature(object, userId, keyId, publicKeyFromBase64(publicKey));
  } catch {
    return false;
  }
}

/** Whether two signed objects are the same apart from their signatures (and unsigned data). */
export function sameSignedContent(a: JsonObject, b: JsonObject): boolean {
  const content = ({ signatures: _s, unsigned: _u, ...rest }: JsonObject) => canonicalJson(rest);
  return content(a) === content(b);
}

/** `object` with `userId`'s signatures extended by `added`. */
export function withSignatures(object: JsonObject, userId: string, added: SignatureMap): JsonObject {
  const signatures = { ...((object.signatures as Record<string, SignatureMap> | undefined) ?? {}) };
  signatures[userId] = { ...(signatures[userId] ?? {}), ...added };
  return { ...object, signatures };
}

/** The signatures `userId` made on `object`, as a key ID -> signature map. */
export function signaturesOf(object: JsonObject, userId: string): SignatureMap {
  const mine = (object.signatures as Record<string, unknown> | undefined)?.[userId];
  if (typeof mine !== 'object' || mine === null) return {};
  return Object.fromEntries(Object.entries(mine).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * Whether a device-signing upload may skip user-interactive auth
 * (client-server-api v1.11+): the user has no master key yet, or every key
 * uploaded is one the server already has.
 */
export function uploadNeedsAuth(
  existing: Partial<Record<CrossSigningUsage, JsonObject>>,
  uploaded: Partial<Record<CrossSigningUsage, JsonObject>>,
): boolean {
  if (!existing.master) return false;
  return CROSS_SIGNING_USAGES.some((usage) => {
    const key = uploaded[usage];
    const stored = existing[usage];
    return key !== undefined && (stored === undefined || !sameSignedContent(key, stored));
  });
}

const invalidSignature = (error: string): SignatureOutcome => ({ failure: { errcode: 'M_INVALID_SIGNATURE', error } });
const mismatch = (error: string): SignatureOutcome => ({ failure: { errcode: 'M_INVALID_PARAM', error } });

/** The signer's self-signing key signing one of their own devices. */
export function checkDeviceSignature(
  signer: string,
  submitted: JsonObject,
  stored: JsonObject | undefined,
  selfSigningKey: string | undefined,
): SignatureOutcome {
  if (!stored) return { failure: { errcode: 'M_NOT_FOUND', error: 'No such device or key' } };
  if (!sameSignedContent(submitted, stored)) return mismatch('The signed object does not match the device keys');
  if (!selfSigningKey) return { failure: { errcode: 'M_MISSING_PARAM', error: 'No self-signing key is uploaded' } };
  const keyId = `ed25519:${selfSigningKey}`;
  if (!signedBy(submitted, signer, selfSigningKey)) return invalidSignature('Not signed by the self-signing key');
  return { signatures: { [keyId]: signaturesOf(submitted, signer)[keyId] } };
}

/** The signer's own devices signing their master key: each device signature must verify with that device's ed25519 key. */
export function checkMasterSignatureByDevices(
  signer: string,
  submitted: JsonObject,
  storedMaster: JsonObject,
  devices: Record<string, JsonObject>,
): SignatureOutcome {
  if (!sameSignedContent(submitted, storedMaster)) return mismatch('The signed object does not match the master key');
  const kept: SignatureMap = {};
  for (const [keyId, signature] of Object.entries(signaturesOf(submitted, signer))) {
    if (signaturesOf(storedMaster, signer)[keyId] === signature) continue;
    const deviceId = keyId.startsWith('ed25519:') ? keyId.slice('ed25519:'.length) : undefined;
    const deviceKey =
      deviceId === undefined ? undefined : (devices[deviceId]?.keys as Record<string, unknown> | undefined)?.[keyId];
    if (typeof deviceKey !== 'string') return invalidSignature(`${keyId} is not a device of ${signer}`);
    if (!signedBy(submitted, signer, deviceKey, keyId)) return invalidSignature(`Invalid signature by ${keyId}`);
    kept[keyId] = signature;
  }
  return { signatures: kept };
}

/** The signer's user-signing key signing another user's master key. */
export function checkUserSignature(
  signer: string,
  submitted: JsonObject,
  targetMaster: JsonObject | undefined,
  userSigningKey: string | undefined,
): SignatureOutcome {
  if (!targetMaster) return { failure: { errcode: 'M_NOT_FOUND', error: 'No such master key' } };
  if (!sameSignedContent(submitted, targetMaster)) return mismatch('The signed object does not match the master key');
  if (!userSigningKey) return { failure: { errcode: 'M_MISSING_PARAM', error: 'No user-signing key is uploaded' } };
  const keyId = `ed25519:${userSigningKey}`;
  if (!signedBy(submitted, signer, userSigningKey)) return invalidSignature('Not signed by the user-signing key');
  return { signatures: { [keyId]: signaturesOf(submitted, signer)[keyId] } };
}

/** A signature that makes the upload of a self-signing or user-signing key valid: by the master key in force. */
export function requireSignedByMaster(
  key: JsonObject,
  userId: string,
  masterKey: string | undefined,
  usage: CrossSigningUsage,
): void {
  if (!masterKey) throw Errors.missingParam('No master signing key is available');
  if (!signedBy(key, userId, masterKey))
    throw new MatrixError(400, 'M_INVALID_SIGNATURE', `The ${usage} key is not signed by the master key`);
}
