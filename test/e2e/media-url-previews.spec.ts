import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../support/embedded-server';
import { decodeImage, getMedia, testPicture } from '../support/media-requests';

/** A web site on loopback: a page with OpenGraph tags and an oEmbed link, its picture and its oEmbed answer. */
async function startWebSite() {
  const picture = await testPicture('png', 120, 60);
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/post') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(`<!doctype html><html><head><title>Fallback</title>
        <meta property="og:title" content="Lattice &amp; Matrix">
        <meta property="og:description" content="A post about thumbnails">
        <meta property="og:image" content="/cover.png">
        <link rel="alternate" type="application/json+oembed" href="${base}/oembed?url=post">
        </head><body>Hello</body></html>`);
    }
    if (path === '/oembed')
      return res
        .setHeader('content-type', 'application/json')
        .end(JSON.stringify({ version: '1.0', type: 'rich', provider_name: 'Test Site', title: 'oEmbed title' }));
    if (path === '/cover.png') return res.setHeader('content-type', 'image/png').end(picture);
    if (path === '/huge') return res.setHeader('content-type', 'text/html').end(Buffer.alloc(300_000, 'a'));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    picture,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

type Lattice = Awaited<ReturnType<typeof startEmbeddedServer>>;

/** A client request with its own Host header (which fetch does not send), choosing the tenant. */
function tenantCall(
  server: Lattice,
  host: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        headers: {
          host,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function register(server: Lattice, host: string, username: string): Promise<string> {
  const { body } = await tenantCall(server, host, 'POST', '/_matrix/client/v3/register', undefined, {
    username,
    password: 'preview password',
    auth: { type: 'm.login.dummy' },
  });
  return body.access_token as string;
}

function previewOf(server: Lattice, host: string, token: string, url: string, ts?: number) {
  const query = new URLSearchParams({ url, ...(ts === undefined ? {} : { ts: String(ts) }) });
  return tenantCall(server, host, 'GET', `/_matrix/client/v1/media/preview_url?${query}`, token);
}

function startServer(overrides: Record<string, unknown>): Promise<Lattice> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-previews-'));
  return startEmbeddedServer(
    { ...overrides, media: { storePath: join(dataDir, 'media'), urlPreviews: { maxBytes: 200_000 } } },
    dataDir,
  );
}

describe('URL previews (GET /media/preview_url)', () => {
  let site: Awaited<ReturnType<typeof startWebSite>>;
  beforeAll(async () => {
    site = await startWebSite();
  });
  afterAll(() => site?.close());

  describe('on a server whose outbound policy allows loopback', () => {
    let server: Lattice;
    let token: string;
    beforeAll(async () => {
      // The harness's outbound policy: loopback allowed, everything else refused.
      server = await startServer({
        tenants: [
          { serverName: 'localhost', hostnames: ['127.0.0.1'] },
          { serverName: 'quiet.test', media: { urlPreviews: false } },
        ],
      });
      token = await register(server, 'localhost', `previewer-${Date.now()}`);
    }, 60_000);
    afterAll(() => server?.close());

    it('previews a page from its OpenGraph tags and oEmbed answer, its image stored as media', async () => {
      const { status, body } = await previewOf(server, 'localhost', token, `${site.base}/post`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        'og:title': 'Lattice & Matrix',
        'og:description': 'A post about thumbnails',
        'og:site_name': 'Test Site',
        'og:image:type': 'image/png',
        'og:image:width': 120,
        'og:image:height': 60,
        'matrix:image:size': site.picture.length,
      });
      const [serverName, mediaId] = (body['og:image'] as string).slice('mxc://'.length).split('/');
      const image = await getMedia(`${server.url}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, token);
      expect(image.bytes.equals(site.picture)).toBe(true);
      expect(await decodeImage(image.bytes)).toMatchObject({ format: 'png', width: 120, height: 60 });
    });

    it('answers a URL again from its cache, without fetching it', async () => {
      const url = `${site.base}/post?cached`;
      const first = await previewOf(server, 'localhost', token, url);
      expect(first.body['og:title']).toBe('Lattice & Matrix');
      const fetched = site.hits.length;
      const again = await previewOf(server, 'localhost', token, url, Date.now());
      expect(again).toEqual(first);
      expect(site.hits.length).toBe(fetched);
    });

    it('refuses a private address the outbound policy does not allow, without connecting', async () => {
      const { status, body } = await previewOf(server, 'localhost', token, 'http://10.20.30.40/internal');
      expect({ status, errcode: body.errcode }).toEqual({ status: 403, errcode: 'M_FORBIDDEN' });
    });

    it('refuses a page larger than media.urlPreviews.maxBytes', async () => {
      const { status, body } = await previewOf(server, 'localhost', token, `${site.base}/huge`);
      expect({ status, errcode: body.errcode }).toEqual({ status: 502, errcode: 'M_TOO_LARGE' });
    });

    it('refuses what is not an http(s) URL', async () => {
      const { status, body } = await previewOf(server, 'localhost', token, 'file:///etc/passwd');
      expect({ status, errcode: body.errcode }).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
    });

    it('is off for a tenant that turned previews off', async () => {
      const quiet = await register(server, 'quiet.test', `quiet-${Date.now()}`);
      const { status, body } = await previewOf(server, 'quiet.test', quiet, `${site.base}/post`);
      expect({ status, errcode: body.errcode }).toEqual({ status: 404, errcode: 'M_UNRECOGNIZED' });
    });
  });

  describe('on a server with the default outbound policy', () => {
    let server: Lattice;
    let token: string;
    beforeAll(async () => {
      server = await startServer({ outbound: { allowRanges: [], denyRanges: [] } });
      token = await register(server, 'localhost', `guarded-${Date.now()}`);
    }, 60_000);
    afterAll(() => server?.close());

    it('refuses a page on loopback', async () => {
      const before = site.hits.length;
      const { status, body } = await previewOf(server, 'localhost', token, `${site.base}/post`);
      expect({ status, errcode: body.errcode }).toEqual({ status: 403, errcode: 'M_FORBIDDEN' });
      expect(site.hits.length).toBe(before);
    });
  });
});
