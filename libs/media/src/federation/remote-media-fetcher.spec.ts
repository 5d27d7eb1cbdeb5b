import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { parseConfig } from '@lattice/config';
import type { FederationClient } from '@lattice/federation';
import { writeMultipartMixed } from './multipart-mixed';
import { RemoteMediaFetcher, RemoteMediaUnavailable, fileNameOf } from './remote-media-fetcher';

/** An answer as FederationClient.stream gives it: a status, headers and a streaming body. */
function answer(status: number, headers: Record<string, string>, body: Readable | string): IncomingMessage {
  const stream = typeof body === 'string' ? Readable.from([Buffer.from(body)]) : body;
  return Object.assign(stream, { statusCode: status, headers }) as unknown as IncomingMessage;
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The remote server, as a stand-in FederationClient that answers by path and records what was asked, signed (origin) or not (null). */
function remote(answers: Record<string, () => IncomingMessage>) {
  const asked: Array<{ origin: string | null; path: string }> = [];
  const client = {
    stream: async (origin: string | null, _destination: string, path: string) => {
      asked.push({ origin, path });
      const route = Object.keys(answers).find((prefix) => path.startsWith(prefix));
      if (!route) return answer(404, {}, '');
      return answers[route]();
    },
  } as unknown as FederationClient;
  return { client, asked };
}

const config = parseConfig({ outbound: { allowRanges: ['127.0.0.0/8'], denyRanges: [] } });

describe('RemoteMediaFetcher', () => {
  it('reads the media part of a federation download', async () => {
    const { client, asked } = remote({
      '/_matrix/federation/v1/media/download/abc': () =>
        answer(
          200,
          { 'content-type': 'multipart/mixed; boundary=zz' },
          writeMultipartMixed(
            'zz',
            {},
            {
              headers: { 'Content-Type': 'text/plain', 'Content-Disposition': 'inline; filename="a.txt"' },
              body: Readable.from([Buffer.from('hello')]),
            },
          ),
        ),
    });
    const media = await new RemoteMediaFetcher(client, config).download('us.test', 'them.test', 'abc');
    expect({ type: media.contentType, name: media.fileName, body: await text(media.body) }).toEqual({
      type: 'text/plain',
      name: 'a.txt',
      body: 'hello',
    });
    expect(asked).toEqual([{ origin: 'us.test', path: '/_matrix/federation/v1/media/download/abc' }]);
  });

  it('falls back to the deprecated endpoint, unsigned and with allow_remote=false, when the federation one is unrecognized', async () => {
    const { client, asked } = remote({
      '/_matrix/federation/v1/media/download/abc': () =>
        answer(
          404,
          { 'content-type': 'application/json' },
          JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }),
        ),
      '/_matrix/media/v3/download/them.test/abc': () =>
        answer(200, { 'content-type': 'image/png', 'content-length': '3' }, 'png'),
    });
    const media = await new RemoteMediaFetcher(client, config).download('us.test', 'them.test', 'abc');
    expect({ type: media.contentType, length: media.declaredLength, body: await text(media.body) }).toEqual({
      type: 'image/png',
      length: 3,
      body: 'png',
    });
    expect(asked[1]).toEqual({ origin: null, path: '/_matrix/media/v3/download/them.test/abc?allow_remote=false' });
  });

  it('does not fall back when the media is simply not there', async () => {
    const { client, asked } = remote({
      '/_matrix/federation/v1/media/download/abc': () =>
        answer(
          404,
          { 'content-type': 'application/json' },
          JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'Not found' }),
        ),
    });
    await expect(new RemoteMediaFetcher(client, config).download('us.test', 'them.test', 'abc')).rejects.toBeInstanceOf(
      RemoteMediaUnavailable,
    );
    expect(asked).toHaveLength(1);
  });

  describe('a media part with a Location', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((_req, res) => res.setHeader('content-type', 'image/gif').end('gif bytes'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const redirecting = (location: string) =>
      remote({
        '/_matrix/federation/v1/media/download/abc': () =>
          answer(
            200,
            { 'content-type': 'multipart/mixed; boundary=zz' },
            writeMultipartMixed('zz', {}, { headers: { Location: location } }),
          ),
      }).client;

    it('is followed for the bytes', async () => {
      const media = await new RemoteMediaFetcher(redirecting(`${base}/cdn/abc`), config).download(
        'us.test',
        'them.test',
        'abc',
      );
      expect({ type: media.contentType, body: await text(media.body) }).toEqual({
        type: 'image/gif',
        body: 'gif bytes',
      });
    });

    it('is refused when it points where the outbound policy does not allow', async () => {
      const guarded = parseConfig({});
      await expect(
        new RemoteMediaFetcher(redirecting(`${base}/cdn/abc`), guarded).download('us.test', 'them.test', 'abc'),
      ).rejects.toMatchObject({ status: 502 });
    });
  });
});

describe('fileNameOf', () => {
  it('reads filename*= before filename=', () => {
    expect(fileNameOf(`attachment; filename="plain.txt"; filename*=utf-8''%C3%A9t%C3%A9.txt`)).toBe('été.txt');
    expect(fileNameOf('inline; filename="a \\"b\\".png"')).toBe('a "b".png');
    expect(fileNameOf('inline')).toBeNull();
  });
});
