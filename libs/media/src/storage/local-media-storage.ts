import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { metered } from './hashing-meter';
import { isSha256Hex, MediaStorage, type ByteRange, type StoredBlob } from './media-storage';

/** Reads in 1 MiB chunks rather than fs's 64 KiB: a sixteenth of the reads and socket writes for a large download, memory still bounded per download. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Blobs as files under the media directory (the embedded default):
 * `<root>/ab/cd/<sha256>`, two levels of fan-out so no directory grows huge.
 * Uploads are written to `<root>/incoming/` and renamed into place, which is
 * atomic on one filesystem: a reader sees a whole blob or none.
 */
export class LocalMediaStorage extends MediaStorage {
  private readonly incoming: string;

  constructor(private readonly root: string) {
    super();
    this.incoming = join(root, 'incoming');
  }

  async put(body: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    await mkdir(this.incoming, { recursive: true });
    const staging = join(this.incoming, randomUUID());
    const meter = metered(body, options.maxBytes);
    try {
      // flush: the bytes are on disk before the rename names them and the upload is acknowledged.
      await pipeline(meter, createWriteStream(staging, { flush: true }));
      const blob = meter.result();
      const target = this.pathOf(blob.sha256);
      await mkdir(join(target, '..'), { recursive: true });
      // Renaming over an existing blob replaces it with identical bytes, so concurrent identical uploads need no coordination.
      await rename(staging, target);
      return blob;
    } finally {
      await rm(staging, { force: true });
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(sha256);
    const stream = createReadStream(path, {
      highWaterMark: READ_CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
    // Surfaces a missing file as a rejection here rather than as a stream error halfway through a response.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await access(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  private pathOf(sha256: string): string {
    if (!isSha256Hex(sha256)) throw new Error(`Not a SHA-256 blob key: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}
