import type { Readable } from 'node:stream';

/** What `put` stored: the content's length and its SHA-256 (lowercase hex), which is its key. */
export interface StoredBlob {
  sha256: string;
  size: number;
}

/** Bytes `start` to `end` inclusive, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The content was longer than the limit `put` was given; nothing was stored. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Content is longer than ${limit} bytes`);
  }
}

/**
 * Where media bytes live, content-addressed by SHA-256: identical content is
 * stored once, however many media IDs name it. Bytes stream through in both
 * directions and are never held whole in memory. The metadata (which media
 * ID names which hash, and whether a hash is still named at all) is the
 * MediaStore's job, not the storage's.
 *
 * An abstract class rather than an interface so Nest can inject it by type;
 * the backend is chosen by configuration (media-storage.provider.ts).
 */
export abstract class MediaStorage {
  /**
   * Streams `body` into storage and returns its hash and size. The content
   * is written aside first and moved under its hash only when complete, so a
   * failed or oversized upload never leaves a partial blob under a hash.
   * Rejects with BlobTooLargeError past `maxBytes`.
   */
  abstract put(body: Readable, options: { maxBytes: number }): Promise<StoredBlob>;

  /** The blob's bytes, or the given range of them. Rejects when the blob does not exist. */
  abstract get(sha256: string, range?: ByteRange): Promise<Readable>;

  abstract exists(sha256: string): Promise<boolean>;

  /** Removes the blob; removing one that does not exist is not an error. */
  abstract delete(sha256: string): Promise<void>;
}

/** A hash as the storage keys blobs: 64 lowercase hex digits, so a key can never be a path trick. */
export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
