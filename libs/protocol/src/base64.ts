/**
 * Unpadded Base64 (appendices.md "Unpadded Base64"): standard alphabet
 * without `=` padding, and the URL-safe variant used by v4+ event IDs.
 * Decoding accepts padded input too, as the appendix requires.
 */

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes standard (padded or not) Base64; throws on characters outside the alphabet or an impossible length. */
export function decodeBase64(text: string): Buffer {
  if (!STANDARD.test(text) || text.replace(/=+$/, '').length % 4 === 1) throw new Error('Invalid base64');
  return Buffer.from(text, 'base64');
}

export function decodeBase64Url(text: string): Buffer {
  if (!URL_SAFE.test(text) || text.replace(/=+$/, '').length % 4 === 1) throw new Error('Invalid URL-safe base64');
  return Buffer.from(text, 'base64url');
}
