import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * The two-part multipart/mixed body of federation media answers
 * (server-server-api "Content Repository", RFC 2046 section 5.1): a JSON
 * metadata part, then the media with its own headers (or a Location header
 * pointing at it).
 */

export interface MediaPart {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Readable;
}

export function newBoundary(): string {
  return randomBytes(16).toString('hex');
}

/** Writes the two parts around a streamed media body. */
export function writeMultipartMixed(
  boundary: string,
  metadata: object,
  media: { headers: Record<string, string>; body?: Readable },
): Readable {
  const headerLines = Object.entries(media.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const head = `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n--${boundary}\r\n${headerLines}\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return Readable.from(
    (async function* () {
      yield Buffer.from(head);
      if (media.body) for await (const chunk of media.body) yield chunk as Buffer;
      yield Buffer.from(tail);
    })(),
  );
}

/** The boundary parameter of a multipart/mixed Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/mixed\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export class MalformedMultipartError extends Error {}

/** The metadata part's JSON and the media part of a streamed multipart/mixed body; the media body streams on as it is read. */
export async function readMultipartMixed(
  source: Readable,
  boundary: string,
  maxHeaderBytes = 64 * 1024,
): Promise<{ metadata: unknown; media: MediaPart }> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const chunks = source[Symbol.asyncIterator]();
  // A CRLF in front lets the first delimiter be found like the others, preamble or not.
  let buffered = Buffer.from('\r\n');
  const more = async () => {
    const next = await chunks.next();
    if (next.done) throw new MalformedMultipartError('The multipart body ended early');
    buffered = Buffer.concat([buffered, next.value as Buffer]);
    if (buffered.length > maxHeaderBytes) throw new MalformedMultipartError('The multipart headers are too long');
  };
  const until = async (marker: Buffer) => {
    let at: number;
    while ((at = buffered.indexOf(marker)) === -1) await more();
    const before = buffered.subarray(0, at);
    buffered = buffered.subarray(at + marker.length);
    return before;
  };
  const part = async () => {
    await until(delimiter);
    await until(Buffer.from('\r\n'));
    // Put the line end back, so a part without headers ends its (empty) header block at once.
    buffered = Buffer.concat([Buffer.from('\r\n'), buffered]);
    return parseHeaders((await until(Buffer.from('\r\n\r\n'))).toString('utf8'));
  };
  await part();
  const metadataText = await until(delimiter);
  buffered = Buffer.concat([delimiter, buffered]);
  const headers = await part();
  let metadata: unknown;
  try {
    metadata = JSON.parse(metadataText.toString('utf8') || '{}');
  } catch {
    throw new MalformedMultipartError('The metadata part is not JSON');
  }
  return { metadata, media: { headers, body: Readable.from(bodyUntil(buffered, chunks, delimiter)) } };
}

/** The media bytes up to the closing delimiter, never holding more than a chunk and a delimiter's length. */
async function* bodyUntil(start: Buffer, chunks: AsyncIterator<unknown>, delimiter: Buffer): AsyncGenerator<Buffer> {
  let pending = start;
  for (;;) {
    const at = pending.indexOf(delimiter);
    if (at !== -1) {
      if (at > 0) yield pending.subarray(0, at);
      return;
    }
    const safe = pending.length - (delimiter.length - 1);
    if (safe > 0) {
      yield pending.subarray(0, safe);
      pending = pending.subarray(safe);
    }
    const next = await chunks.next();
    if (next.done) throw new MalformedMultipartError('The media part has no closing delimiter');
    pending = Buffer.concat([pending, next.value as Buffer]);
  }
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
