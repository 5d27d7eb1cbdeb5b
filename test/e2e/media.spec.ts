import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { MediaModeration, MediaSweeper } from '../../libs/media/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { pseudoRandomBytes } from '../support/media-flows';
import { rawClient, type Account } from '../support/raw-client';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>>;

const MAX_UPLOAD = 1024 * 1024;
const QUOTA = 3 * 1024 * 1024;

/** A media request; `account` authenticates it. */
async function media(
  server: Server,
  account: Account | undefined,
  method: string,
  path: string,
  options: { body?: RequestInit['body']; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(account ? { authorization: `Bearer ${account.token}` } : {}), ...options.headers },
    body: options.body,
    ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json')
    ? (JSON.parse(bytes.toString() || '{}') as Record<string, unknown>)
    : {};
  return { status: response.status, headers: response.headers, bytes, json };
}

const upload = (server: Server, account: Account, body: Buffer, contentType?: string, filename?: string) =>
  media(
    server,
    account,
    'POST',
    `/_matrix/media/v3/upload${filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`}`,
    { body, headers: contentType ? { 'content-type': contentType } : {} },
  );

const mxcPath = (contentUri: unknown) => (contentUri as string).slice('mxc://'.length);
const download = (
  server: Server,
  account: Account | undefined,
  contentUri: unknown,
  suffix = '',
  headers: Record<string, string> = {},
) => media(server, account, 'GET', `/_matrix/client/v1/media/download/${mxcPath(contentUri)}${suffix}`, { headers });

/** A body with no Content-Length: the server learns its size only by reading it. */
function streamedBody(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += 65536)));
    },
  });
}

function blobFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'incoming') return [];
    return statSync(path).isDirectory() ? blobFiles(path) : [name];
  });
}

describe('media repository (client-server-api "Content repository")', () => {
  let server: Server;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let n = 0;

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost', registration: { mode: 'open', guests: true } }],
      media: {
        maxUploadBytes: MAX_UPLOAD,
        userQuotaBytes: QUOTA,
        maxPendingUploadsPerUser: 3,
        pendingUploadLifetimeMs: 1500,
        unauthenticatedFreezeTs: Date.now() + 3_600_000,
      },
    });
    raw = rawClient(() => server.url);
    [alice, bob] = await Promise.all([raw.register('media-alice'), raw.register('media-bob')]);
  }, 60_000);
  afterAll(async () => server.close());

  const freshUser = () => raw.register(`media-user-${n++}`);

  describe('uploads', () => {
    it('answers an mxc:// URI of this server', async () => {
      const answer = await upload(server, alice, Buffer.from('hello'), 'text/plain');
      expect(answer.status).toBe(200);
      expect(answer.json.content_uri).toMatch(/^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
    });

    it('keeps the content type, and application/octet-stream when none was sent', async () => {
      const typed = await upload(server, alice, Buffer.from('{}'), 'application/json');
      expect((await download(server, bob, typed.json.content_uri)).headers.get('content-type')).toBe(
        'application/json',
      );
      const untyped = await media(server, alice, 'POST', '/_matrix/media/v3/upload', {
        body: new Blob([new Uint8Array([1, 2, 3])]),
      });
      expect((await download(server, bob, untyped.json.content_uri)).headers.get('content-type')).toBe(
        'application/octet-stream',
      );
    });

    it('accepts an empty file', async () => {
      const answer = await upload(server, alice, Buffer.alloc(0), 'text/plain');
      const got = await download(server, bob, answer.json.content_uri);
      expect(got.status).toBe(200);
      expect(got.bytes.length).toBe(0);
    });

    it('refuses a file over the limit by its Content-Length with 413 M_TOO_LARGE', async () => {
      const answer = await upload(server, alice, pseudoRandomBytes(MAX_UPLOAD + 1, 'over'), 'application/octet-stream');
      expect(answer.status).toBe(413);
      expect(answer.json.errcode).toBe('M_TOO_LARGE');
    });

    it('refuses a file over the limit that has no Content-Length once it has read past the limit', async () => {
      const answer = await media(server, alice, 'POST', '/_matrix/media/v3/upload', {
        body: streamedBody(pseudoRandomBytes(MAX_UPLOAD + 70_000, 'streamed-over')),
      });
      expect(answer.status).toBe(413);
      expect(answer.json.errcode).toBe('M_TOO_LARGE');
    });

    it('takes a streamed upload with no Content-Length up to the limit', async () => {
      const bytes = pseudoRandomBytes(MAX_UPLOAD, 'streamed-at-limit');
      const answer = await media(server, alice, 'POST', '/_matrix/media/v3/upload', { body: streamedBody(bytes) });
      expect(answer.status).toBe(200);
      expect((await download(server, bob, answer.json.content_uri)).bytes.equals(bytes)).toBe(true);
    });

    it('refuses an upload past the user quota with 403 M_FORBIDDEN, and takes the same upload from another user', async () => {
      const carol = await freshUser();
      for (let i = 0; i < 3; i++)
        expect((await upload(server, carol, pseudoRandomBytes(MAX_UPLOAD, `quota-${i}`))).status).toBe(200);
      const over = await upload(server, carol, Buffer.from('one byte too many'));
      expect(over.status).toBe(403);
      expect(over.json.errcode).toBe('M_FORBIDDEN');
      expect((await upload(server, await freshUser(), Buffer.from('one byte too many'))).status).toBe(200);
    });

    it('keeps nothing of an upload the client abandons halfway', async () => {
      const incoming = join(server.dataDir, 'media', 'incoming');
      const req = request(`${server.url}/_matrix/media/v3/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}`, 'content-length': String(MAX_UPLOAD) },
      });
      const closed = new Promise((resolve) => req.on('error', resolve).on('close', resolve));
      req.write(pseudoRandomBytes(100_000, 'abandoned'));
      await eventually('the upload to be staged', () => existsSync(incoming) && readdirSync(incoming).length > 0);
      req.destroy();
      await closed;
      await eventually('the staged upload to be removed', () => readdirSync(incoming).length === 0);
    });

    it('needs an access token', async () => {
      const answer = await media(server, undefined, 'POST', '/_matrix/media/v3/upload', { body: Buffer.from('x') });
      expect(answer.status).toBe(401);
      expect(answer.json.errcode).toBe('M_MISSING_TOKEN');
    });

    it('answers under the r0 path as under v3', async () => {
      const answer = await media(server, alice, 'POST', '/_matrix/media/r0/upload', {
        body: Buffer.from('r0'),
        headers: { 'content-type': 'text/plain' },
      });
      expect(answer.status).toBe(200);
    });

    it('stores identical content once, and removes it when its last mxc:// URI is deleted', async () => {
      const bytes = pseudoRandomBytes(4096, `dedupe-${Date.now()}`);
      const mediaDir = join(server.dataDir, 'media');
      const before = blobFiles(mediaDir).length;
      const first = await upload(server, alice, bytes);
      const second = await upload(server, bob, bytes);
      expect(first.json.content_uri).not.toBe(second.json.content_uri);
      expect(blobFiles(mediaDir).length).toBe(before + 1);
      const moderation = server.app.get(MediaModeration);
      const [, firstId] = mxcPath(first.json.content_uri).split('/');
      expect(await moderation.delete('localhost', firstId)).toBe(true);
      expect((await download(server, bob, first.json.content_uri)).status).toBe(404);
      expect((await download(server, bob, second.json.content_uri)).bytes.equals(bytes)).toBe(true);
      const [, secondId] = mxcPath(second.json.content_uri).split('/');
      await moderation.delete('localhost', secondId);
      expect(blobFiles(mediaDir).length).toBe(before);
    });
  });

  describe('/media/config', () => {
    it("reports the tenant's upload limit on the authenticated and the legacy path", async () => {
      expect((await media(server, alice, 'GET', '/_matrix/client/v1/media/config')).json).toEqual({
        'm.upload.size': MAX_UPLOAD,
      });
      expect((await media(server, alice, 'GET', '/_matrix/media/v3/config')).json).toEqual({
        'm.upload.size': MAX_UPLOAD,
      });
    });
  });

  describe('asynchronous uploads (POST /media/v1/create)', () => {
    it('gives an mxc:// URI and its expiry, and the bytes PUT later are served', async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create', {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(created.status).toBe(200);
      expect(created.json.unused_expires_at).toBeGreaterThan(Date.now());
      const put = await media(
        server,
        alice,
        'PUT',
        `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}?filename=later.txt`,
        { body: Buffer.from('later'), headers: { 'content-type': 'text/plain' } },
      );
      expect(put.status).toBe(200);
      expect(put.json).toEqual({});
      const got = await download(server, bob, created.json.content_uri);
      expect(got.bytes.toString()).toBe('later');
      expect(got.headers.get('content-disposition')).toBe('inline; filename="later.txt"');
    });

    it('answers M_NOT_YET_UPLOADED (504) when the bytes do not come within timeout_ms', async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      const answer = await download(server, bob, created.json.content_uri, '?timeout_ms=200');
      expect(answer.status).toBe(504);
      expect(answer.json.errcode).toBe('M_NOT_YET_UPLOADED');
    });

    it('answers a download waiting for the bytes as soon as they arrive', async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      const waiting = download(server, bob, created.json.content_uri, '?timeout_ms=10000');
      await new Promise((r) => setTimeout(r, 300));
      await media(server, alice, 'PUT', `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}`, {
        body: Buffer.from('arrived'),
      });
      const answer = await waiting;
      expect(answer.status).toBe(200);
      expect(answer.bytes.toString()).toBe('arrived');
    });

    it('refuses a second upload to the same mxc:// URI with 409 M_CANNOT_OVERWRITE_MEDIA', async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      const path = `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}`;
      expect((await media(server, alice, 'PUT', path, { body: Buffer.from('first') })).status).toBe(200);
      const again = await media(server, alice, 'PUT', path, { body: Buffer.from('second') });
      expect(again.status).toBe(409);
      expect(again.json.errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');
      expect((await download(server, bob, created.json.content_uri)).bytes.toString()).toBe('first');
    });

    it('lets exactly one of two concurrent uploads to the same mxc:// URI win', async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      const path = `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}`;
      const answers = await Promise.all(
        ['racer one', 'racer two'].map((body) => media(server, alice, 'PUT', path, { body: Buffer.from(body) })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      expect(['racer one', 'racer two']).toContain(
        (await download(server, bob, created.json.content_uri)).bytes.toString(),
      );
    });

    it("refuses another user's upload with 403 M_FORBIDDEN", async () => {
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      const answer = await media(server, bob, 'PUT', `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}`, {
        body: Buffer.from('not mine'),
      });
      expect(answer.status).toBe(403);
      expect(answer.json.errcode).toBe('M_FORBIDDEN');
    });

    it('answers 404 M_NOT_FOUND for an mxc:// URI that was never created, or has expired', async () => {
      const unknown = await media(server, alice, 'PUT', '/_matrix/media/v3/upload/localhost/neverCreated', {
        body: Buffer.from('x'),
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json.errcode).toBe('M_NOT_FOUND');
      const created = await media(server, alice, 'POST', '/_matrix/media/v1/create');
      await new Promise((r) => setTimeout(r, 1600));
      const expired = await media(
        server,
        alice,
        'PUT',
        `/_matrix/media/v3/upload/${mxcPath(created.json.content_uri)}`,
        { body: Buffer.from('late') },
      );
      expect(expired.status).toBe(404);
      expect(expired.json.errcode).toBe('M_NOT_FOUND');
    });

    it('limits the pending mxc:// URIs a user holds with 429 M_LIMIT_EXCEEDED', async () => {
      const dave = await freshUser();
      for (let i = 0; i < 3; i++)
        expect((await media(server, dave, 'POST', '/_matrix/media/v1/create')).status).toBe(200);
      const answer = await media(server, dave, 'POST', '/_matrix/media/v1/create');
      expect(answer.status).toBe(429);
      expect(answer.json.errcode).toBe('M_LIMIT_EXCEEDED');
    });
  });

  describe('downloads', () => {
    it('needs an access token on the authenticated endpoint', async () => {
      const uploaded = await upload(server, alice, Buffer.from('private'));
      const answer = await download(server, undefined, uploaded.json.content_uri);
      expect(answer.status).toBe(401);
      expect(answer.json.errcode).toBe('M_MISSING_TOKEN');
    });

    it('lets a guest download but not upload', async () => {
      const uploaded = await upload(server, alice, Buffer.from('for guests too'));
      const { body } = await raw.call(undefined, 'POST', '/register?kind=guest', {});
      const guest = {
        userId: body.user_id as string,
        deviceId: body.device_id as string,
        token: body.access_token as string,
      };
      expect((await download(server, guest, uploaded.json.content_uri)).bytes.toString()).toBe('for guests too');
      const refused = await upload(server, guest, Buffer.from('from a guest'));
      expect(refused.status).toBe(403);
      expect(refused.json.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
    });

    it('sends the headers the spec asks for', async () => {
      const uploaded = await upload(server, alice, Buffer.from('png-ish'), 'image/png', 'cat.png');
      const { headers } = await download(server, bob, uploaded.json.content_uri);
      expect(headers.get('content-disposition')).toBe('inline; filename="cat.png"');
      expect(headers.get('content-security-policy')).toBe(
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
      );
      expect(headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(headers.get('access-control-allow-origin')).toBe('*');
    });

    it('serves a type outside the safe list as an attachment', async () => {
      const uploaded = await upload(server, alice, Buffer.from('<script>alert(1)</script>'), 'text/html', 'page.html');
      const { headers } = await download(server, bob, uploaded.json.content_uri);
      expect(headers.get('content-type')).toBe('text/html');
      expect(headers.get('content-disposition')).toBe('attachment; filename="page.html"');
    });

    it('leaves the file name out when the upload had none, and takes the one in the path', async () => {
      const uploaded = await upload(server, alice, Buffer.from('nameless'), 'text/plain');
      expect((await download(server, bob, uploaded.json.content_uri)).headers.get('content-disposition')).toBe(
        'inline',
      );
      expect(
        (await download(server, bob, uploaded.json.content_uri, '/other.txt')).headers.get('content-disposition'),
      ).toBe('inline; filename="other.txt"');
    });

    it('keeps a non-ASCII file name intact in filename*', async () => {
      const uploaded = await upload(server, alice, Buffer.from('ü'), 'text/plain', 'grüße "quoted".txt');
      const disposition = (await download(server, bob, uploaded.json.content_uri)).headers.get('content-disposition')!;
      expect(disposition).toBe(`inline; filename*=utf-8''gr%C3%BC%C3%9Fe%20%22quoted%22.txt`);
      expect(decodeURIComponent(disposition.split("''")[1])).toBe('grüße "quoted".txt');
    });

    it('answers a Range request with 206 and exactly those bytes', async () => {
      const bytes = pseudoRandomBytes(10_000, 'range');
      const uploaded = await upload(server, alice, bytes);
      const middle = await download(server, bob, uploaded.json.content_uri, '', { range: 'bytes=1000-1999' });
      expect(middle.status).toBe(206);
      expect(middle.headers.get('content-range')).toBe('bytes 1000-1999/10000');
      expect(middle.bytes.equals(bytes.subarray(1000, 2000))).toBe(true);
      const tail = await download(server, bob, uploaded.json.content_uri, '', { range: 'bytes=-100' });
      expect(tail.bytes.equals(bytes.subarray(9900))).toBe(true);
      const beyond = await download(server, bob, uploaded.json.content_uri, '', { range: 'bytes=20000-' });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe('bytes */10000');
    });

    it('answers 304 to a client that has the content (If-None-Match)', async () => {
      const uploaded = await upload(server, alice, Buffer.from('cached'));
      const first = await download(server, bob, uploaded.json.content_uri);
      const again = await download(server, bob, uploaded.json.content_uri, '', {
        'if-none-match': first.headers.get('etag')!,
      });
      expect(again.status).toBe(304);
    });

    it('answers 404 M_NOT_FOUND for unknown media and 400 M_INVALID_PARAM for a media ID outside the spec alphabet', async () => {
      const unknown = await download(server, bob, 'mxc://localhost/doesNotExist');
      expect(unknown.status).toBe(404);
      expect(unknown.json.errcode).toBe('M_NOT_FOUND');
      const invalid = await media(server, bob, 'GET', '/_matrix/client/v1/media/download/localhost/bad.id');
      expect(invalid.status).toBe(400);
      expect(invalid.json.errcode).toBe('M_INVALID_PARAM');
    });

    it('does not serve quarantined media, and serves it again when released', async () => {
      const uploaded = await upload(server, alice, Buffer.from('questionable'));
      const [, mediaId] = mxcPath(uploaded.json.content_uri).split('/');
      const moderation = server.app.get(MediaModeration);
      await moderation.setQuarantined('localhost', mediaId, true);
      expect((await download(server, bob, uploaded.json.content_uri)).status).toBe(404);
      await moderation.setQuarantined('localhost', mediaId, false);
      expect((await download(server, bob, uploaded.json.content_uri)).status).toBe(200);
    });

    it('serves the media of a deactivated user, but not of one who asked to be erased', async () => {
      const deactivate = async (account: Account, erase: boolean) =>
        raw.call(account, 'POST', '/account/deactivate', {
          erase,
          auth: {
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user: account.userId },
            password: 'correct horse',
          },
        });
      const [kept, erased] = [await freshUser(), await freshUser()];
      const keptUpload = await upload(server, kept, Buffer.from('still here'));
      const erasedUpload = await upload(server, erased, Buffer.from('forget me'));
      await deactivate(kept, false);
      await deactivate(erased, true);
      expect((await download(server, bob, keptUpload.json.content_uri)).status).toBe(200);
      expect((await download(server, bob, erasedUpload.json.content_uri)).status).toBe(404);
    });

    it("deletes an erased user's uploads and their bytes at the next clean-up", async () => {
      const erased = await freshUser();
      const bytes = pseudoRandomBytes(2048, `erased-${Date.now()}`);
      const uploaded = await upload(server, erased, bytes);
      const stored = () =>
        blobFiles(join(server.dataDir, 'media')).includes(createHash('sha256').update(bytes).digest('hex'));
      expect(stored()).toBe(true);
      await raw.call(erased, 'POST', '/account/deactivate', {
        erase: true,
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: erased.userId },
          password: 'correct horse',
        },
      });
      await server.app.get(MediaSweeper).sweep();
      expect(stored()).toBe(false);
      const [, mediaId] = mxcPath(uploaded.json.content_uri).split('/');
      expect(await server.app.get(MediaModeration).delete('localhost', mediaId)).toBe(false);
    });

    it('serves media from before the freeze on the deprecated unauthenticated endpoint', async () => {
      const uploaded = await upload(server, alice, Buffer.from('old style'), 'text/plain', 'old.txt');
      const answer = await media(
        server,
        undefined,
        'GET',
        `/_matrix/media/v3/download/${mxcPath(uploaded.json.content_uri)}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.bytes.toString()).toBe('old style');
      expect(answer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    });
  });
});

describe('media with the default freeze and rate limits', () => {
  let server: Server;
  let alice: Account;

  beforeAll(async () => {
    server = await startEmbeddedServer({ rateLimit: { perSecond: 1, burst: 5 } });
    alice = await rawClient(() => server.url).register('limited');
  }, 60_000);
  afterAll(async () => server.close());

  it('does not serve media uploaded after the freeze on the unauthenticated endpoint', async () => {
    const uploaded = await upload(server, alice, Buffer.from('new media'));
    const answer = await media(
      server,
      undefined,
      'GET',
      `/_matrix/media/v3/download/${mxcPath(uploaded.json.content_uri)}`,
    );
    expect(answer.status).toBe(404);
    expect(answer.json.errcode).toBe('M_NOT_FOUND');
    expect((await download(server, alice, uploaded.json.content_uri)).status).toBe(200);
  });

  it('rate-limits uploads with 429 M_LIMIT_EXCEEDED', async () => {
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await upload(server, alice, Buffer.from(`burst ${i}`)));
    const limited = answers.find((a) => a.status === 429);
    expect(limited?.json).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED' });
  });
});
