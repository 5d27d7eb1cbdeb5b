import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>>;

/**
 * Two deployments of this server in one room that each change its state
 * while the other is down: the room forks, and once they hear from each
 * other both merge the branches with state resolution and agree on the
 * room's state (server-server-api "Room State Resolution").
 */
describe('a room forked between two deployments', () => {
  const certs = makeTestCertificates();
  const deployments: Record<
    'a' | 'b',
    { name: string; config: Record<string, unknown>; server?: Server; dataDir?: string }
  > = {
    a: { name: '', config: {} },
    b: { name: '', config: {} },
  };
  let roomId: string;
  let bob: string;

  async function configure(which: 'a' | 'b') {
    const port = await freePort();
    const name = `localhost:${port}`;
    deployments[which] = {
      name,
      config: {
        tenants: [{ serverName: name }],
        federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] },
      },
    };
  }

  async function start(which: 'a' | 'b') {
    const d = deployments[which];
    d.server = await startEmbeddedServer(d.config, ...(d.dataDir ? [d.dataDir] : []));
    d.dataDir = d.server.dataDir;
  }

  async function stop(which: 'a' | 'b') {
    await deployments[which].server!.close();
  }

  async function client(which: 'a' | 'b', method: string, path: string, body?: unknown, token?: string) {
    const d = deployments[which];
    const response = await fetch(`${d.server!.url}${path}`, {
      method,
      headers: { host: d.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function register(which: 'a' | 'b', username: string) {
    const { body } = await client(which, 'POST', '/_matrix/client/v3/register', {
      username,
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    return { userId: body.user_id as string, token: body.access_token as string };
  }

  /** The room's state as a client of a deployment sees it: sorted `type|state_key|event ID`. */
  async function stateOn(which: 'a' | 'b', token: string) {
    const { body } = await client(
      which,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
      undefined,
      token,
    );
    const events = body as unknown as Array<{ type: string; state_key: string; event_id: string }>;
    return events.map((e) => `${e.type}|${e.state_key}|${e.event_id}`).sort();
  }

  let aliceToken: string;
  let bobToken: string;

  beforeAll(async () => {
    await configure('a');
    await configure('b');
    await Promise.all([start('a'), start('b')]);
    ({ token: aliceToken } = await register('a', 'alice'));
    ({ userId: bob, token: bobToken } = await register('b', 'bob'));
    roomId = (
      await client(
        'a',
        'POST',
        '/_matrix/client/v3/createRoom',
        { preset: 'public_chat', topic: 'before the fork' },
        aliceToken,
      )
    ).body.room_id as string;
    expect(
      (
        await client(
          'b',
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(deployments.a.name)}`,
          {},
          bobToken,
        )
      ).status,
    ).toBe(200);
    const levels = (
      await client(
        'a',
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
        undefined,
        aliceToken,
      )
    ).body;
    await client(
      'a',
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
      { ...levels, users: { ...(levels.users as object), [bob]: 100 } },
      aliceToken,
    );
    await eventually(
      "B to see Bob's power",
      async () => (await stateOn('b', bobToken)).join() === (await stateOn('a', aliceToken)).join(),
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(deployments).map(async (d) => d.server?.close()));
  });

  it('merges concurrent state changes made on each side and converges on one state', async () => {
    const topic = (which: 'a' | 'b', token: string, text: string) =>
      client(
        which,
        'PUT',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
        { topic: text },
        token,
      );
    // A changes the topic while B is down; then B changes it (and the room name) while A is down: neither knows the other's change.
    await stop('b');
    expect((await topic('a', aliceToken, 'from A')).status).toBe(200);
    await stop('a');
    await start('b');
    expect((await topic('b', bobToken, 'from B')).status).toBe(200);
    expect(
      (
        await client(
          'b',
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`,
          { name: 'named on B' },
          bobToken,
        )
      ).status,
    ).toBe(200);
    await start('a');

    await eventually(
      'both sides to converge on one state',
      async () => {
        const [onA, onB] = [await stateOn('a', aliceToken), await stateOn('b', bobToken)];
        return onA.some((s) => s.startsWith('m.room.name|')) && onA.join() === onB.join();
      },
      60_000,
    );
    const topicOn = async (which: 'a' | 'b', token: string) =>
      (
        await client(
          which,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.topic/`,
          undefined,
          token,
        )
      ).body.topic;
    expect(await topicOn('a', aliceToken)).toBe(await topicOn('b', bobToken));
    expect(['from A', 'from B']).toContain(await topicOn('a', aliceToken));

    // The next event merges the fork: it names both branches' latest events, A's topic and B's name.
    const sent = await client(
      'a',
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/merge`,
      { msgtype: 'm.text', body: 'merged' },
      aliceToken,
    );
    const prisma = deployments.a.server!.app.get<Database>(DATABASE).prisma;
    const row = await prisma.event.findUnique({ where: { eventId: sent.body.event_id as string } });
    const pdu = JSON.parse((await prisma.eventJson.findUnique({ where: { eventNid: row!.eventNid } }))!.json) as {
      prev_events: string[];
    };
    expect(pdu.prev_events).toHaveLength(2);
  }, 180_000);
});
