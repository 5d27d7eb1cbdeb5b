import { Readable } from 'node:stream';
import { multipartBoundary, readMultipartMixed, writeMultipartMixed } from './multipart-mixed';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Re-chunks a buffer into pieces of `size` bytes, as a network would deliver it. */
function inPieces(bytes: Buffer, size: number): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return Readable.from(pieces);
}

describe('multipart/mixed media bodies', () => {
  const media = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

  it.each([1, 7, 64, 100_000])('reads back what it writes, delivered in pieces of %i bytes', async (size) => {
    const written = await bytesOf(
      writeMultipartMixed('b0undary', {}, { headers: { 'Content-Type': 'image/png' }, body: Readable.from([media]) }),
    );
    const { metadata, media: part } = await readMultipartMixed(inPieces(written, size), 'b0undary');
    expect(metadata).toEqual({});
    expect(part.headers['content-type']).toBe('image/png');
    expect((await bytesOf(part.body)).equals(media)).toBe(true);
  });

  it('reads a media part that only has a Location', async () => {
    const body =
      '--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz\r\nLocation: https://cdn.example/m\r\n\r\n\r\n--xyz--\r\n';
    const { media: part } = await readMultipartMixed(Readable.from([Buffer.from(body)]), 'xyz');
    expect(part.headers.location).toBe('https://cdn.example/m');
    expect((await bytesOf(part.body)).length).toBe(0);
  });

  it('refuses a body that ends before its closing delimiter', async () => {
    const body =
      '--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz\r\nContent-Type: text/plain\r\n\r\ncut off';
    const { media: part } = await readMultipartMixed(Readable.from([Buffer.from(body)]), 'xyz');
    await expect(bytesOf(part.body)).rejects.toThrow(/closing delimiter/);
  });

  it('finds the boundary of a multipart/mixed content type only', () => {
    expect(multipartBoundary('multipart/mixed; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('multipart/mixed;boundary=abc')).toBe('abc');
    expect(multipartBoundary('image/png')).toBeUndefined();
  });
});
