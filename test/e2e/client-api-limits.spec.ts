import { Agent, get } from 'node:http';
import { FEDERATION_TRANSACTION_LIMIT_BYTES, JSON_BODY_LIMIT_BYTES, JSON_MAX_NESTING_DEPTH } from '../../libs/http/src';
import { startEmbeddedServer } from '../support/embedded-server';

/**
 * What the client-server API does with bad input and at its limits: a clear
 * Matrix error, and nothing written.
 */
describe('client-server API errors and limits', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let token: string;
  let roomId: string;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    auth = token,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      body:
        body === undefined
          ? undefined
          : typeof body === 'string' || Buffer.isBuffer(body)
            ? body
            : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const timelineLength = async () =>
    ((await call('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`)).body.chunk as unknown[])
      .length;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    const registered = await fetch(`${server.url}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify({ username: 'limits', password: 'correct horse', auth: { type: 'm.login.dummy' } }),
    });
    token = ((await registered.json()) as { access_token: string }).access_token;
    roomId = (await call('POST', '/createRoom', {})).body.room_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  it('labels JSON answers application/json, without a charset parameter', async () => {
    const response = await fetch(`${server.url}/_matrix/client/v3/login`);
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it('keeps an idle connection open longer than proxies and clients keep theirs, so they close it first', async () => {
    const hint = await new Promise<string>((resolve, reject) =>
      get(`${server.url}/_matrix/client/versions`, { agent: new Agent({ keepAlive: true }) }, (response) => {
        response.resume();
        resolve(String(response.headers['keep-alive']));
      }).on('error', reject),
    );
    // nginx keeps an upstream connection idle for 60 s by default.
    expect(Number(/timeout=(\d+)/.exec(hint)?.[1])).toBeGreaterThan(60);
  });

  it('refuses an event over 65,536 bytes with M_TOO_LARGE and persists nothing', async () => {
    const before = await timelineLength();
    const response = await call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/big`, {
      msgtype: 'm.text',
      body: 'x'.repeat(70_000),
    });
    expect(response).toMatchObject({ status: 413, body: { errcode: 'M_TOO_LARGE' } });
    expect(await timelineLength()).toBe(before);
  });

  it('answers the POST endpoints with 200, as the spec defines them (not 201)', async () => {
    const eventId = (
      await call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/status`, {
        msgtype: 'm.text',
        body: 'hi',
      })
    ).body.event_id as string;
    const room = encodeURIComponent(roomId);
    const statuses = [
      (
        await call('POST', '/login', {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: 'limits' },
          password: 'correct horse',
        })
      ).status,
      (await call('POST', '/user/@limits:localhost/filter', { room: { timeline: { limit: 5 } } })).status,
      (await call('POST', `/rooms/${room}/receipt/m.read/${encodeURIComponent(eventId)}`, {})).status,
      (await call('POST', `/rooms/${room}/read_markers`, { 'm.fully_read': eventId })).status,
      (await call('POST', '/publicRooms', {})).status,
      (
        await call(
          'POST',
          '/register',
          { username: 'status', password: 'correct horse', auth: { type: 'm.login.dummy' } },
          '',
        )
      ).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('answers a body that is not JSON with M_NOT_JSON', async () => {
    expect(await call('POST', '/createRoom', '{not json')).toMatchObject({
      status: 400,
      body: { errcode: 'M_NOT_JSON' },
    });
  });

  it('answers event content that is JSON but not an object with M_BAD_JSON and persists nothing', async () => {
    const before = await timelineLength();
    expect(
      await call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/string`, '"eyJib2R5IjogMS4xfQ=="'),
    ).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await timelineLength()).toBe(before);
  });

  it('answers a field of the wrong type with M_BAD_JSON and creates no room', async () => {
    const rooms = ((await call('GET', '/joined_rooms')).body.joined_rooms as string[]).length;
    expect(await call('POST', '/createRoom', { name: 42 })).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(((await call('GET', '/joined_rooms')).body.joined_rooms as string[]).length).toBe(rooms);
  });

  it('answers a message nested 5,000 levels deep with M_BAD_JSON and persists nothing', async () => {
    const before = await timelineLength();
    const deep = `{"msgtype":"m.text","body":"deep","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(await call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/deep`, deep)).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(await timelineLength()).toBe(before);
  });

  it('accepts a message nested as deep as the limit', async () => {
    const nested = `{"msgtype":"m.text","body":"nested","x":${'['.repeat(JSON_MAX_NESTING_DEPTH - 1)}${']'.repeat(JSON_MAX_NESTING_DEPTH - 1)}}`;
    expect(await call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/nested`, nested)).toMatchObject({
      status: 200,
    });
  });

  it('answers a body that is not UTF-8 with M_NOT_JSON', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(await call('POST', '/createRoom', body)).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } });
  });

  it('answers a body over the JSON limit with 413 M_TOO_LARGE, before parsing it', async () => {
    expect(await call('POST', '/createRoom', `{"name":"${'x'.repeat(JSON_BODY_LIMIT_BYTES)}"}`)).toMatchObject({
      status: 413,
      body: { errcode: 'M_TOO_LARGE' },
    });
  });

  it('reads a federation transaction larger than the JSON limit (it then wants a signature), up to its own limit', async () => {
    const send = (bytes: number) =>
      fetch(`${server.url}/_matrix/federation/v1/send/big`, {
        method: 'PUT',
        body: `{"pdus":[],"edus":[],"padding":"${'x'.repeat(bytes)}"}`,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await send(2 * JSON_BODY_LIMIT_BYTES)).toMatchObject({ status: 401, body: { errcode: 'M_UNAUTHORIZED' } });
    expect(await send(FEDERATION_TRANSACTION_LIMIT_BYTES)).toMatchObject({
      status: 413,
      body: { errcode: 'M_TOO_LARGE' },
    });
  });

  it('answers an oversized body on an unknown route with 413 M_TOO_LARGE', async () => {
    expect(await call('POST', '/no/such/endpoint', 'x'.repeat(JSON_BODY_LIMIT_BYTES + 1))).toMatchObject({
      status: 413,
      body: { errcode: 'M_TOO_LARGE' },
    });
  });

  it('answers state content with a float, which canonical JSON cannot hold, with M_BAD_JSON and changes no state', async () => {
    const path = `/rooms/${encodeURIComponent(roomId)}/state/org.example.fuzz/`;
    expect(await call('PUT', path, '{"n":1.5}')).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect(await call('PUT', path, '{"n":9007199254740994}')).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(await call('GET', path)).toMatchObject({ status: 404 });
  });

  it('answers a single-valued query parameter given twice with M_INVALID_PARAM', async () => {
    expect(await call('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&from=t1&from=t2`)).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers U+0000 in a path parameter with M_INVALID_PARAM', async () => {
    expect(await call('DELETE', '/directory/room/%00')).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers a public room directory request for a malformed server name with M_INVALID_PARAM', async () => {
    expect(await call('GET', '/publicRooms?server=not%20a%20server')).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers a join of a malformed room ID or through a malformed server with M_INVALID_PARAM', async () => {
    expect(await call('POST', `/rooms/${encodeURIComponent(':m[nG')}/join`, {})).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
    expect(
      await call('POST', `/join/${encodeURIComponent('!a:elsewhere.example')}?via=not%20a%20server`, {}),
    ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
  });

  it('answers a public room directory limit that is not an integer with M_INVALID_PARAM', async () => {
    expect(await call('GET', '/publicRooms?limit=abc')).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it("answers a pagination token beyond a stream position's range with M_INVALID_PARAM", async () => {
    expect(
      await call('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&from=t${'9'.repeat(25)}`),
    ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect(await call('GET', `/rooms/${encodeURIComponent(roomId)}/members?at=t${'9'.repeat(25)}`)).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers a filter ID no filter can have with M_NOT_FOUND', async () => {
    expect(
      await call('GET', `/user/${encodeURIComponent('@limits:localhost')}/filter/${'9'.repeat(25)}`),
    ).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    expect(await call('GET', `/sync?timeout=0&filter=${'9'.repeat(25)}`)).toMatchObject({
      status: 404,
      body: { errcode: 'M_NOT_FOUND' },
    });
  });

  it('answers an alias lookup of a malformed alias with M_INVALID_PARAM', async () => {
    expect(await call('GET', `/directory/room/${encodeURIComponent(':m[nG')}`)).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers a profile lookup of a malformed user ID with M_INVALID_PARAM', async () => {
    expect(await call('GET', '/profile/%40%3A/displayname')).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('answers unknown endpoints with 404 and wrong methods with 405, both M_UNRECOGNIZED', async () => {
    expect(await call('GET', '/no/such/endpoint')).toMatchObject({ status: 404, body: { errcode: 'M_UNRECOGNIZED' } });
    expect(await call('DELETE', '/account/whoami')).toMatchObject({ status: 405, body: { errcode: 'M_UNRECOGNIZED' } });
  });

  it('answers CORS preflights as the spec says', async () => {
    const response = await fetch(`${server.url}/_matrix/client/v3/sync`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it('gives /messages an end token with a short page that read events, and none with the empty page after it', async () => {
    const room = encodeURIComponent(roomId);
    const filter = encodeURIComponent(JSON.stringify({ contains_url: true }));
    await call('PUT', `/rooms/${room}/send/m.room.message/with-url`, {
      msgtype: 'm.file',
      body: 'f',
      url: 'mxc://localhost/abc',
    });
    const first = (await call('GET', `/rooms/${room}/messages?dir=b&limit=1000&filter=${filter}`)).body;
    expect(first).toMatchObject({ chunk: [{ content: { url: 'mxc://localhost/abc' } }], end: expect.any(String) });
    const after = (await call('GET', `/rooms/${room}/messages?dir=b&limit=1000&from=${first.end as string}`)).body;
    expect(after.chunk).toEqual([]);
    expect(after).not.toHaveProperty('end');
  });

  it('lists the members at the prev_batch of an initial sync whose timeline is the whole room as they were at that sync', async () => {
    const fresh = (await call('POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    const filter = encodeURIComponent(JSON.stringify({ room: { rooms: [fresh], timeline: { limit: 50 } } }));
    const synced = (await call('GET', `/sync?timeout=0&filter=${filter}`)).body as {
      rooms: { join: Record<string, { timeline: { limited: boolean; prev_batch: string } }> };
    };
    const { limited, prev_batch: prevBatch } = synced.rooms.join[fresh].timeline;
    expect(limited).toBe(false);
    await call('POST', `/rooms/${encodeURIComponent(fresh)}/invite`, { user_id: '@later:localhost' });
    const then = (
      (await call('GET', `/rooms/${encodeURIComponent(fresh)}/members?at=${prevBatch}`)).body.chunk as Array<{
        state_key: string;
      }>
    ).map((e) => e.state_key);
    expect(then).toEqual(['@limits:localhost']);
  });

  it('lists the members of a room as they were at a pagination token', async () => {
    const invited = await call('POST', `/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: '@nobody:localhost' });
    expect(invited.status).toBe(200);
    const before = (await call('GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=2`)).body
      .end as string;
    const now = (
      (await call('GET', `/rooms/${encodeURIComponent(roomId)}/members`)).body.chunk as Array<{ state_key: string }>
    ).map((e) => e.state_key);
    const then = (
      (await call('GET', `/rooms/${encodeURIComponent(roomId)}/members?at=${before}`)).body.chunk as Array<{
        state_key: string;
      }>
    ).map((e) => e.state_key);
    expect(now.sort()).toEqual(['@limits:localhost', '@nobody:localhost']);
    expect(then).toEqual(['@limits:localhost']);
  });
});

describe('rate limits', () => {
  it('answers a client over its rate with M_LIMIT_EXCEEDED and retry_after_ms', async () => {
    const server = await startEmbeddedServer({ rateLimit: { perSecond: 1, burst: 3 } });
    try {
      const statuses: Array<{ status: number; body: Record<string, unknown> }> = [];
      for (let i = 0; i < 6; i++) {
        const response = await fetch(`${server.url}/_matrix/client/v3/register/available?username=u${i}`);
        statuses.push({ status: response.status, body: (await response.json()) as Record<string, unknown> });
      }
      const limited = statuses.find((s) => s.status === 429);
      expect(limited?.body).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED' });
      expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 60_000);
});
