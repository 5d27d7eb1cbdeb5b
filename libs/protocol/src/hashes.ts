import { createHash } from 'node:crypto';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import type { AnyObject, Pdu } from './events';
import { redactEvent } from './redaction';
import type { RoomVersion } from './room-versions';

/**
 * Content and reference hashes (server-server-api "Calculating the content
 * hash for an event", "Calculating the reference hash for an event").
 */

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** SHA-256 over the event without unsigned, signatures and hashes: covers the unredacted content. */
export function computeContentHash(version: RoomVersion, event: AnyObject): string {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event;
  return encodeBase64(sha256(canonicalJsonBytes(rest, { strict: version.strictCanonicalJson })));
}

/** The event with `hashes.sha256` set to its content hash. */
export function withContentHash<T extends AnyObject>(version: RoomVersion, event: T): T {
  return { ...event, hashes: { sha256: computeContentHash(version, event) } };
}

/** Whether the event's claimed content hash matches its content (a mismatch means: redact it, per the spec). */
export function contentHashMatches(version: RoomVersion, event: Pdu): boolean {
  const claimed = event.hashes?.sha256;
  if (typeof claimed !== 'string') return false;
  try {
    return decodeBase64(claimed).equals(decodeBase64(computeContentHash(version, event)));
  } catch {
    return false;
  }
}

/** SHA-256 of the redacted event without signatures and unsigned: what v3+ event IDs are made of. */
export function computeReferenceHash(version: RoomVersion, event: AnyObject): Buffer {
  const { signatures: _s, unsigned: _u, ...rest } = redactEvent(version, event);
  return sha256(canonicalJsonBytes(rest, { strict: version.strictCanonicalJson }));
}

/** The reference hash in the alphabet the version's event IDs use. */
export function referenceHashString(version: RoomVersion, event: AnyObject): string {
  const hash = computeReferenceHash(version, event);
  return version.eventIdFormat === 'hash-base64' ? encodeBase64(hash) : encodeBase64Url(hash);
}
