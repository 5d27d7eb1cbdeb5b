import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { BlobTooLargeError } from './media-storage';

/**
 * Passes bytes through while counting and hashing them, and fails the stream
 * once more than `maxBytes` went by, so an oversized upload stops as soon as
 * it is known to be too large rather than after it has been stored.
 */
export class HashingMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  // Not `length`: upload libraries read a stream's `length` as its known total size.
  private received = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) return callback(new BlobTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Once the stream has finished: the length and SHA-256 of everything that went through. */
  result(): { sha256: string; size: number } {
    return { sha256: this.hash.digest('hex'), size: this.received };
  }
}

/**
 * `body` piped through a new HashingMeter. The source is not destroyed when
 * the meter fails (a stream pipeline would): for a request that would close
 * the connection before the client hears why; Node discards the rest of an
 * unread request body once the answer is sent.
 */
export function metered(body: Readable, maxBytes: number): HashingMeter {
  const meter = new HashingMeter(maxBytes);
  body.once('error', (e) => meter.destroy(e));
  meter.once('error', () => body.unpipe(meter));
  return body.pipe(meter);
}
