import { BUS, type Bus } from '../../libs/bus/src';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '../../libs/storage/src';
import { OFFLINE_AFTER_MS, PresenceStore, REMOTE_OFFLINE_AFTER_MS } from '../../libs/streams/src';
import { startEmbeddedServer } from '../support/embedded-server';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>>;
interface User {
  userId: string;
  token: string;
}
interface SyncBody {
  next_batch: string;
  presence: { events: Array<{ type: string; sender: string; content: Record<string, unknown> }> };
}

/** Presence on one server (client-server-api "Presence"), through raw client requests. */
describe('presence', () => {
  let server: Server;
  let alice: User;
  let bob: User;
  let stranger: User;
  let roomId: string;

  async function call(method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function register(s: Server, username: string): Promise<User> {
    const response = await fetch(`${s.url}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify({ username, password: 'pw pw pw', auth: { type: 'm.login.dummy' } }),
    });
    const body = (await response.json()) as { user_id: string; access_token: string };
    return { userId: body.user_id, token: body.access_token };
  }

  const sync = async (user: User, query = '') =>
    (await call('GET', `/_matrix/client/v3/sync?timeout=0${query}`, user.token)).body as unknown as SyncBody;
  const presenceOf = (body: SyncBody, userId: string) =>
    body.presence.events.filter((e) => e.sender === userId).map((e) => e.content);
  const putPresence = (user: User, body: unknown) =>
    call('PUT', `/_matrix/client/v3/presence/${encodeURIComponent(user.userId)}/status`, user.token, body);
  const getPresence = (viewer: User, userId: string) =>
    call('GET', `/_matrix/client/v3/presence/${encodeURIComponent(userId)}/status`, viewer.token);

  beforeAll(async () => {
    server = await startEmbeddedServer();
    [alice, bob, stranger] = [
      await register(server, 'alice'),
      await register(server, 'bob'),
      await register(server, 'stranger'),
    ];
    roomId = (await call('POST', '/_matrix/client/v3/createRoom', alice.token, { preset: 'public_chat' })).body
      .room_id as string;
    expect((await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, bob.token, {})).status).toBe(
      200,
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('shows a presence a user sets to someone sharing a room with them, and not to anyone else', async () => {
    const before = (await sync(bob, '&set_presence=offline')).next_batch;
    const strangerBefore = (await sync(stranger, '&set_presence=offline')).next_batch;
    expect(await putPresence(alice, { presence: 'unavailable', status_msg: 'in a meeting' })).toEqual({
      status: 200,
      body: {},
    });

    const seen = presenceOf(await sync(bob, `&set_presence=offline&since=${before}`), alice.userId);
    expect(seen).toEqual([
      { presence: 'unavailable', status_msg: 'in a meeting', last_active_ago: expect.any(Number) },
    ]);
    expect(presenceOf(await sync(stranger, `&set_presence=offline&since=${strangerBefore}`), alice.userId)).toEqual([]);
    expect(presenceOf(await sync(stranger, '&set_presence=offline'), alice.userId)).toEqual([]);
  });

  it('answers GET for the user and for those sharing a room with them, and refuses anyone else', async () => {
    await putPresence(alice, { presence: 'online', status_msg: 'here' });
    expect(await getPresence(bob, alice.userId)).toEqual({
      status: 200,
      body: { presence: 'online', status_msg: 'here', last_active_ago: expect.any(Number), currently_active: true },
    });
    expect((await getPresence(alice, alice.userId)).body.presence).toBe('online');
    expect(await getPresence(stranger, alice.userId)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect(await getPresence(stranger, stranger.userId)).toEqual({ status: 200, body: { presence: 'offline' } });
  });

  it("refuses setting another user's presence, and bodies the spec does not allow, changing nothing", async () => {
    await putPresence(alice, { presence: 'online' });
    const path = `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`;
    expect(await call('PUT', path, bob.token, { presence: 'offline' })).toMatchObject({
      status: 403,
      body: { errcode: 'M_FORBIDDEN' },
    });
    expect(await putPresence(alice, { presence: 'busy' })).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(await putPresence(alice, { status_msg: 'no state' })).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(await putPresence(alice, { presence: 'online', status_msg: 42 })).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect((await getPresence(bob, alice.userId)).body.presence).toBe('online');
  });

  it('wakes a long-poll of a user sharing a room when presence changes', async () => {
    const since = (await sync(bob, '&set_presence=offline')).next_batch;
    const started = Date.now();
    const poll = call('GET', `/_matrix/client/v3/sync?timeout=20000&set_presence=offline&since=${since}`, bob.token);
    await new Promise((r) => setTimeout(r, 300));
    await putPresence(alice, { presence: 'unavailable', status_msg: 'woken' });
    const { body } = await poll;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(presenceOf(body as unknown as SyncBody, alice.userId)).toEqual([
      expect.objectContaining({ presence: 'unavailable', status_msg: 'woken' }),
    ]);
  });

  it('marks a syncing user online by default, idle with set_presence=unavailable, and leaves them alone with set_presence=offline', async () => {
    const carol = await register(server, 'carol');
    await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, carol.token, {});
    await sync(carol, '&set_presence=offline');
    expect((await getPresence(bob, carol.userId)).body).toEqual({ presence: 'offline' });
    await sync(carol, '&set_presence=unavailable');
    expect((await getPresence(bob, carol.userId)).body.presence).toBe('unavailable');
    const since = (await sync(bob, '&set_presence=offline')).next_batch;
    await sync(carol);
    expect((await getPresence(bob, carol.userId)).body).toMatchObject({ presence: 'online', currently_active: true });
    expect(presenceOf(await sync(bob, `&set_presence=offline&since=${since}`), carol.userId)).toEqual([
      expect.objectContaining({ presence: 'online' }),
    ]);
  });

  it('shows the presence of someone who comes to share a room, though it changed before', async () => {
    const frank = await register(server, 'frank');
    await putPresence(frank, { presence: 'online', status_msg: 'new here' });
    const since = (await sync(bob, '&set_presence=offline')).next_batch;
    expect(await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, frank.token, {})).toMatchObject({
      status: 200,
    });
    expect(presenceOf(await sync(bob, `&set_presence=offline&since=${since}`), frank.userId)).toEqual([
      expect.objectContaining({ presence: 'online', status_msg: 'new here' }),
    ]);
  });

  it('refuses a set_presence the spec does not define', async () => {
    expect(await call('GET', '/_matrix/client/v3/sync?timeout=0&set_presence=busy', bob.token)).toMatchObject({
      status: 400,
      body: { errcode: 'M_INVALID_PARAM' },
    });
  });

  it('takes a user who stopped syncing offline once, however many workers sweep at the same time', async () => {
    const dan = await register(server, 'dan');
    await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, dan.token, {});
    await sync(dan);
    const since = (await sync(bob, '&set_presence=offline')).next_batch;
    const prisma = server.app.get<Database>(DATABASE).prisma;
    const workers = [0, 1, 2].map(
      () => new PresenceStore(prisma, server.app.get<PositionCache>(POSITION_CACHE), server.app.get<Bus>(BUS)),
    );
    const notOffline = await prisma.presence.count({ where: { state: { not: 'offline' } } });
    const later = Date.now() + OFFLINE_AFTER_MS + 1_000;
    const swept = await Promise.all(workers.map((w) => w.timeOutGone(later)));
    expect(swept.reduce((a, b) => a + b, 0)).toBe(notOffline);
    expect(await prisma.presence.count({ where: { state: { not: 'offline' } } })).toBe(0);
    expect(await Promise.all(workers.map((w) => w.timeOutGone(later)))).toEqual([0, 0, 0]);
    expect(presenceOf(await sync(bob, `&set_presence=offline&since=${since}`), dan.userId)).toEqual([
      expect.objectContaining({ presence: 'offline' }),
    ]);
  });

  it("takes another server's user offline once their server has said nothing of them for a long while", async () => {
    const store = new PresenceStore(
      server.app.get<Database>(DATABASE).prisma,
      server.app.get<PositionCache>(POSITION_CACHE),
      server.app.get<Bus>(BUS),
    );
    await store.change('@far:elsewhere.example', { state: 'online', lastActiveTs: Date.now(), currentlyActive: true });
    await store.timeOutGone(Date.now() + OFFLINE_AFTER_MS + 1_000);
    expect((await store.get('@far:elsewhere.example'))?.state).toBe('online');
    await store.timeOutGone(Date.now() + REMOTE_OFFLINE_AFTER_MS + 1_000);
    expect((await store.get('@far:elsewhere.example'))?.state).toBe('offline');
  });

  it('still accepts a since token issued before presence existed, giving presence from the beginning', async () => {
    const token = (await sync(bob, '&set_presence=offline')).next_batch;
    const legacy = token.split('_').slice(0, 6).join('_');
    const { status, body } = await call(
      'GET',
      `/_matrix/client/v3/sync?timeout=0&set_presence=offline&since=${legacy}`,
      bob.token,
    );
    expect(status).toBe(200);
    expect(presenceOf(body as unknown as SyncBody, alice.userId).length).toBe(1);
  });

  describe('turned off', () => {
    let off: Server;
    let erin: User;

    beforeAll(async () => {
      off = await startEmbeddedServer({ presence: { enabled: false } });
      erin = await register(off, 'erin');
    }, 60_000);

    afterAll(async () => {
      await off?.close();
    });

    it('still answers the endpoints, changes nothing and syncs no presence', async () => {
      const request = (method: string, body?: unknown) =>
        fetch(`${off.url}/_matrix/client/v3/presence/${encodeURIComponent(erin.userId)}/status`, {
          method,
          headers: { authorization: `Bearer ${erin.token}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      expect(await request('PUT', { presence: 'online', status_msg: 'ignored' })).toEqual({ status: 200, body: {} });
      expect(await request('GET')).toEqual({ status: 200, body: { presence: 'offline' } });
      const synced = (await (
        await fetch(`${off.url}/_matrix/client/v3/sync?timeout=0`, {
          headers: { authorization: `Bearer ${erin.token}` },
        })
      ).json()) as SyncBody;
      expect(synced.presence.events).toEqual([]);
      expect(await off.app.get<Database>(DATABASE).prisma.presence.count()).toBe(0);
    });
  });
});
