import { Readable } from 'node:stream';
import { readBody } from './read-body';

const body = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)));

describe('readBody', () => {
  it('reads a body whole', async () => {
    expect((await readBody(body('{"a":', '1}'), 100, 7)).toString()).toBe('{"a":1}');
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    const stream = body('x');
    await expect(readBody(stream, 10, 11)).rejects.toMatchObject({ status: 413, errcode: 'M_TOO_LARGE' });
    expect(stream.readableFlowing).toBeNull();
  });

  it('refuses a body that grows past the limit', async () => {
    await expect(readBody(body('12345', '67890', 'x'), 10, undefined)).rejects.toMatchObject({
      status: 413,
      errcode: 'M_TOO_LARGE',
    });
  });

  it('refuses a body shorter than its Content-Length', async () => {
    await expect(readBody(body('1234'), 100, 5)).rejects.toMatchObject({ status: 400 });
  });
});
