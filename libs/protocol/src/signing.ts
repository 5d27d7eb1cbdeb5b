import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import type { AnyObject, Signatures } from './events';

/**
 * ed25519 through node:crypto (OpenSSL): ~70x tweetnacl's verify rate here,
 * which is what makes joining rooms with 10,000s of events fast. Keys are
 * KeyObjects built once; importing a key per call halves throughput.
 */

/** DER prefixes that wrap a raw 32-byte ed25519 seed (PKCS#8) or public key (SPKI). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Key IDs are `algorithm:version`, version from [a-zA-Z0-9_] (appendices "Signing Details"; server-server "Server keys"). */
const KEY_ID = /^ed25519:[a-zA-Z0-9_]+$/;

export interface SigningKey {
  /** e.g. `ed25519:a_AbCd` */
  keyId: string;
  /** The 32-byte seed, the only secret. */
  seed: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Unpadded base64 of the raw public key, as published in /_matrix/key/v2/server. */
  publicKeyBase64: string;
}

export function isValidKeyId(keyId: string): boolean {
  return KEY_ID.test(keyId);
}

export function signingKeyFromSeed(keyId: string, seed: Uint8Array): SigningKey {
  if (!isValidKeyId(keyId)) throw new Error(`Invalid key ID: ${keyId}`);
  if (seed.length !== 32) throw new Error('An ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return { keyId, seed: Buffer.from(seed), privateKey, publicKey, publicKeyBase64: encodeBase64(raw) };
}

/** A new random key; its version is random so rotated keys never collide. */
export function generateSigningKey(version?: string): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const keyVersion = version ?? `a_${encodeBase64(seed.subarray(0, 3)).replace(/[+/]/g, '_')}`;
  return signingKeyFromSeed(`ed25519:${keyVersion}`, seed);
}

const publicKeyCache = new Map<string, KeyObject>();

/** A verify key from its unpadded base64 form, cached: the same few keys verify thousands of events. */
export function publicKeyFromBase64(base64: string): KeyObject {
  let key = publicKeyCache.get(base64);
  if (!key) {
    const raw = decodeBase64(base64);
    if (raw.length !== 32) throw new Error('An ed25519 public key is 32 bytes');
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (publicKeyCache.size > 10_000) publicKeyCache.clear();
    publicKeyCache.set(base64, key);
  }
  return key;
}

/** The bytes a signature covers: the object without `signatures` and `unsigned`, canonically encoded. */
export function signedBytes(object: AnyObject, strict = true): Buffer {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object;
  return canonicalJsonBytes(rest, { strict });
}

/** Unpadded base64 ed25519 signature of `bytes`. */
export function signBytes(bytes: Uint8Array, key: SigningKey): string {
  return encodeBase64(sign(null, bytes, key.privateKey));
}

/**
 * Signs a JSON object as `signingName` (appendices "Signing Details"): keeps
 * existing signatures (of other servers or keys), adds ours.
 */
export function signJson<T extends AnyObject>(object: T, signingName: string, key: SigningKey, strict = true): T {
  const signature = signBytes(signedBytes(object, strict), key);
  const signatures: Signatures = structuredClone((object.signatures as Signatures | undefined) ?? {});
  signatures[signingName] = { ...(signatures[signingName] ?? {}), [key.keyId]: signature };
  return { ...object, signatures };
}

/**
 * Checks `signingName`'s signature with `keyId` on a JSON object
 * (appendices "Checking for a Signature"). False for a missing signature,
 * undecodable base64, or a signature that does not verify.
 */
export function verifyJsonSignature(
  object: AnyObject,
  signingName: string,
  keyId: string,
  publicKey: KeyObject,
  strict = true,
): boolean {
  const signature = (object.signatures as Signatures | undefined)?.[signingName]?.[keyId];
  if (typeof signature !== 'string') return false;
  let bytes: Buffer;
  try {
    bytes = decodeBase64(signature);
  } catch {
    return false;
  }
  if (bytes.length !== 64) return false;
  return verify(null, signedBytes(object, strict), publicKey, bytes);
}

/** The ed25519 key IDs `signingName` signed the object with (other algorithms are ignored, per the spec). */
export function signatureKeyIds(object: AnyObject, signingName: string): string[] {
  const entry = (object.signatures as Signatures | undefined)?.[signingName];
  return entry ? Object.keys(entry).filter((k) => k.startsWith('ed25519:')) : [];
}
