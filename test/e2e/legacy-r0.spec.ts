import { startEmbeddedServer } from '../support/embedded-server';

/** A client that speaks only r0.6.1 (the versions /versions still lists) uses the server end to end. */
describe('legacy r0 paths', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  const r0 = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${server.url}/_matrix/client/r0${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
  }, 60_000);
  afterAll(async () => server.close());

  it('registers, logs in, creates a room, sends and syncs over r0', async () => {
    const registered = await r0('POST', '/register', {
      username: 'romeo',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    expect(registered).toMatchObject({ status: 200, body: { user_id: '@romeo:localhost' } });

    const login = await r0('POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'romeo' },
      password: 'correct horse',
    });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;

    const created = await r0('POST', '/createRoom', { name: 'Verona' }, token);
    expect(created.status).toBe(200);
    const roomId = created.body.room_id as string;

    const sent = await r0(
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
      { msgtype: 'm.text', body: 'wherefore art thou' },
      token,
    );
    expect(sent.status).toBe(200);

    const synced = await r0('GET', '/sync?timeout=0', undefined, token);
    expect(synced.status).toBe(200);
    const timeline = synced.body.rooms.join[roomId].timeline.events as Array<{ event_id: string }>;
    expect(timeline.map((e) => e.event_id)).toContain(sent.body.event_id);
  });

  it('answers an endpoint added after r0.6.1 with 404 M_UNRECOGNIZED under r0', async () => {
    expect(await r0('POST', '/knock/!nowhere:localhost', {})).toMatchObject({
      status: 404,
      body: { errcode: 'M_UNRECOGNIZED' },
    });
  });
});
