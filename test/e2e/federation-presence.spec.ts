import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string };
interface User {
  userId: string;
  token: string;
}

/** Presence between two deployments of this server: m.presence EDUs both ways (server-server-api "Presence"). */
describe('presence over federation between two deployments', () => {
  const certs = makeTestCertificates();
  let a: Server;
  let b: Server;
  let alice: User;
  let bob: User;
  let loner: User;
  let roomId: string;

  async function start(overrides: Record<string, unknown> = {}): Promise<Server> {
    const port = await freePort();
    const name = `localhost:${port}`;
    const server = await startEmbeddedServer({
      tenants: [{ serverName: name }],
      federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] },
      ...overrides,
    });
    return Object.assign(server, { name });
  }

  async function client(server: Server, method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function register(server: Server, username: string): Promise<User> {
    const { body } = await client(server, 'POST', '/_matrix/client/v3/register', undefined, {
      username,
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    return { userId: body.user_id as string, token: body.access_token as string };
  }

  /** The m.presence contents of `userId` in the viewer's initial sync (which does not mark the viewer online). */
  async function presenceSeen(server: Server, viewer: User, userId: string) {
    const { body } = await client(
      server,
      'GET',
      '/_matrix/client/v3/sync?timeout=0&set_presence=offline',
      viewer.token,
    );
    return ((body.presence as { events: Array<{ sender: string; content: Record<string, unknown> }> }).events ?? [])
      .filter((e) => e.sender === userId)
      .map((e) => e.content);
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([start(), start()]);
    [alice, loner] = [await register(a, 'alice'), await register(a, 'loner')];
    bob = await register(b, 'bob');
    roomId = (await client(a, 'POST', '/_matrix/client/v3/createRoom', alice.token, { preset: 'public_chat' })).body
      .room_id as string;
    expect(
      (
        await client(
          b,
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
          bob.token,
          {},
        )
      ).status,
    ).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("sends a user's presence to a server sharing a room, whose users see it in /sync", async () => {
    await client(a, 'PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, alice.token, {
      presence: 'unavailable',
      status_msg: 'from A',
    });
    const seen = await eventually("bob on B to see alice's presence", async () =>
      (await presenceSeen(b, bob, alice.userId)).find((c) => c.status_msg === 'from A'),
    );
    expect(seen).toEqual({ presence: 'unavailable', status_msg: 'from A', last_active_ago: expect.any(Number) });
  });

  it("takes in the other server's presence, for those sharing a room only", async () => {
    await client(b, 'GET', '/_matrix/client/v3/sync?timeout=0', bob.token);
    await eventually('alice on A to see bob online', async () =>
      (await presenceSeen(a, alice, bob.userId)).some((c) => c.presence === 'online'),
    );
    expect(
      (await client(a, 'GET', `/_matrix/client/v3/presence/${encodeURIComponent(bob.userId)}/status`, alice.token))
        .body,
    ).toMatchObject({ presence: 'online', currently_active: true });
    expect(await presenceSeen(a, loner, bob.userId)).toEqual([]);
  });

  it('exchanges the presence set before a join when servers come to share a room', async () => {
    const [amy, bert] = [await register(a, 'amy'), await register(b, 'bert')];
    await client(a, 'PUT', `/_matrix/client/v3/presence/${encodeURIComponent(amy.userId)}/status`, amy.token, {
      presence: 'online',
      status_msg: 'amy before',
    });
    await client(b, 'PUT', `/_matrix/client/v3/presence/${encodeURIComponent(bert.userId)}/status`, bert.token, {
      presence: 'unavailable',
      status_msg: 'bert before',
    });
    const room = (await client(a, 'POST', '/_matrix/client/v3/createRoom', amy.token, { preset: 'public_chat' })).body
      .room_id as string;
    expect(
      (
        await client(
          b,
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(room)}?via=${encodeURIComponent(a.name)}`,
          bert.token,
          {},
        )
      ).status,
    ).toBe(200);
    await eventually("bert on B to see amy's earlier presence", async () =>
      (await presenceSeen(b, bert, amy.userId)).some((c) => c.status_msg === 'amy before'),
    );
    await eventually("amy on A to see bert's earlier presence", async () =>
      (await presenceSeen(a, amy, bert.userId)).some((c) => c.status_msg === 'bert before'),
    );
  });

  it('takes in no presence on a deployment that turned it off', async () => {
    const c = await start({ presence: { enabled: false } });
    try {
      const carl = await register(c, 'carl');
      expect(
        (
          await client(
            c,
            'POST',
            `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
            carl.token,
            {},
          )
        ).status,
      ).toBe(200);
      await client(a, 'PUT', `/_matrix/client/v3/presence/${encodeURIComponent(alice.userId)}/status`, alice.token, {
        presence: 'online',
        status_msg: 'to everyone',
      });
      await client(
        a,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after-presence`,
        alice.token,
        { msgtype: 'm.text', body: 'after presence' },
      );
      // The message travels after the EDU (one queue per destination): once it is there, the EDU has been handled.
      await eventually('the message to reach C', async () => {
        const { body } = await client(
          c,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=5`,
          carl.token,
        );
        return JSON.stringify(body.chunk ?? []).includes('after presence');
      });
      expect(await c.app.get<Database>(DATABASE).prisma.presence.count()).toBe(0);
      expect(await presenceSeen(c, carl, alice.userId)).toEqual([]);
    } finally {
      await c.close();
    }
  }, 60_000);
});
