import type { Readable } from 'node:stream';
import { Errors, MatrixError } from './matrix-error';

/**
 * Reads a request body whole, refusing it once it passes `limit` bytes (or
 * at once when its Content-Length says it will), and refusing one shorter or
 * longer than its Content-Length (a truncated request).
 */
export function readBody(payload: Readable, limit: number, contentLength: number | undefined): Promise<Buffer> {
  if (contentLength !== undefined && contentLength > limit)
    return Promise.reject(Errors.tooLarge('Request body too large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        detach();
        payload.resume();
        reject(Errors.tooLarge('Request body too large'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      if (contentLength !== undefined && received !== contentLength)
        reject(new MatrixError(400, 'M_UNKNOWN', 'Request body size did not match Content-Length'));
      else resolve(Buffer.concat(chunks, received));
    };
    const onError = (e: Error) => {
      detach();
      reject(new MatrixError(400, 'M_UNKNOWN', `Request body could not be read: ${e.message}`));
    };
    const detach = () => payload.off('data', onData).off('end', onEnd).off('error', onError);
    payload.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
