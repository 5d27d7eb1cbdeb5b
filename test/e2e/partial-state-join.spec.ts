import { BUS, type Bus } from '../../libs/bus/src';
import { FederationClient } from '../../libs/federation/src';
import { PartialStateResync } from '../../libs/federation-api/src/partial-state/partial-state-resync';
import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string; port: number };

/** Members of A's rooms besides alice: enough that the full state takes a moment to fetch. */
const MEMBERS = 300;

/**
 * Partial-state ("faster") joins between two deployments: B's user joins a
 * big room of A with omit_members, can use the room at once, and B fills in
 * the full state in the background (server-server-api joins-v2).
 */
describe('partial-state joins between two deployments', () => {
  const certs = makeTestCertificates();
  const ports: number[] = [];
  const dataDirs: string[] = [];
  let a: Server;
  let b: Server;
  let bob: { userId: string; token: string };

  /** Starts deployment i (0 = A, 1 = B), on the same port and data as before when restarted. */
  async function start(i: number): Promise<Server> {
    ports[i] ??= await freePort();
    const name = `localhost:${ports[i]}`;
    const server = await startEmbeddedServer(
      {
        tenants: [{ serverName: name }],
        federation: {
          tls: { port: ports[i], certFile: certs.certFile, keyFile: certs.keyFile },
          trustedCaFiles: [certs.caFile],
        },
      },
      ...(dataDirs[i] ? [dataDirs[i]] : []),
    );
    dataDirs[i] = server.dataDir;
    return Object.assign(server, { name, port: ports[i] });
  }

  async function client(server: Server, method: string, path: string, body?: unknown, token?: string) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const db = (server: Server) => server.app.get<Database>(DATABASE).prisma;
  const isPartial = async (server: Server, roomId: string) =>
    (await db(server).room.findUnique({ where: { roomId } }))?.isPartialState;
  const joinedMembers = async (server: Server, roomId: string, token: string) =>
    Object.keys(
      (
        await client(
          server,
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
          undefined,
          token,
        )
      ).body.joined as object,
    ).sort();
  const knownMembers = async (server: Server, roomId: string) =>
    db(server).currentState.count({
      where: { membership: 'join', roomNid: (await db(server).room.findUnique({ where: { roomId } }))!.roomNid },
    });

  async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    for (const deadline = Date.now() + ms; !(await check());) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A public room of alice's on A with MEMBERS more members of A, joined through A's room-server directly. */
  async function bigRoom(token: string, name: string): Promise<string> {
    const roomId = (await client(a, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', name }, token))
      .body.room_id as string;
    const bus = a.app.get<Bus>(BUS);
    await Promise.all(
      Array.from({ length: MEMBERS }, (_, i) => {
        const userId = `@${name}-member${i}:${a.name}`;
        return bus.request(
          'room.input',
          {
            kind: 'membership',
            inputId: `${name}-${i}`,
            serverName: a.name,
            sender: userId,
            roomId,
            action: 'join',
            target: userId,
          },
          roomId,
        );
      }),
    );
    return roomId;
  }

  let aliceToken: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([start(0), start(1)]);
    const registered = await client(a, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    aliceToken = registered.body.access_token as string;
    const bobRegistered = await client(b, 'POST', '/_matrix/client/v3/register', {
      username: 'bob',
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    bob = { userId: bobRegistered.body.user_id as string, token: bobRegistered.body.access_token as string };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('joins with partial state, is usable at once, and gets every member shortly after', async () => {
    const roomId = await bigRoom(aliceToken, 'lobby');
    const initial = await client(b, 'GET', '/_matrix/client/v3/sync', undefined, bob.token);

    const joined = await client(
      b,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
      {},
      bob.token,
    );
    expect(joined.status).toBe(200);
    expect(await isPartial(b, roomId)).toBe(true);
    expect(await knownMembers(b, roomId)).toBeLessThan(MEMBERS);

    const sent = await client(
      b,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
      { msgtype: 'm.text', body: 'hello while partial' },
      bob.token,
    );
    expect(sent.status).toBe(200);
    const sync = await client(
      b,
      'GET',
      `/_matrix/client/v3/sync?since=${initial.body.next_batch}&timeout=0`,
      undefined,
      bob.token,
    );
    expect(Object.keys((sync.body.rooms as { join: object }).join)).toContain(roomId);
    await until(
      'A has the message',
      async () => (await db(a).event.count({ where: { eventId: sent.body.event_id as string } })) === 1,
    );

    // /joined_members waits for the full state rather than answer with a few members.
    const members = await joinedMembers(b, roomId, bob.token);
    expect(await isPartial(b, roomId)).toBe(false);
    expect(members).toHaveLength(MEMBERS + 2);
    expect(members).toEqual(await joinedMembers(a, roomId, aliceToken));
    expect(await db(b).partialStateRoom.count({ where: { roomId } })).toBe(0);

    // The next /sync sends the room again whole: every member is in its state or (bob's join) its timeline.
    const after = await client(
      b,
      'GET',
      `/_matrix/client/v3/sync?since=${sync.body.next_batch}&timeout=0`,
      undefined,
      bob.token,
    );
    type Section = {
      state: { events: Array<{ type: string; state_key: string }> };
      timeline: { events: Array<{ type: string; state_key?: string }> };
      summary: Record<string, unknown>;
    };
    const section = (after.body.rooms as { join: Record<string, Section> }).join[roomId];
    const synced = new Set(
      [...section.state.events, ...section.timeline.events]
        .filter((e) => e.type === 'm.room.member')
        .map((e) => e.state_key),
    );
    expect([...synced].sort()).toEqual(members);
    // Its summary counts them all too, not the members the partial state had when the room was last sent.
    expect(section.summary['m.joined_member_count']).toBe(MEMBERS + 2);
  }, 120_000);

  it('takes events of members it has not heard of yet while partial', async () => {
    const roomId = await bigRoom(aliceToken, 'hall');
    await client(
      b,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
      {},
      bob.token,
    );
    const bus = a.app.get<Bus>(BUS);
    const speaker = `@hall-member7:${a.name}`;
    const reply = await bus.request(
      'room.input',
      {
        kind: 'send',
        inputId: 'hall-speaks',
        serverName: a.name,
        sender: speaker,
        roomId,
        type: 'm.room.message',
        content: { msgtype: 'm.text', body: 'hi newcomer' },
      },
      roomId,
    );
    expect(reply.ok).toBe(true);
    await until(
      'B has the message of a member it did not know',
      async () => (await db(b).event.count({ where: { eventId: (reply as { eventId: string }).eventId } })) === 1,
    );
    await until('the room is complete', async () => (await isPartial(b, roomId)) === false);
  }, 120_000);

  it('still completes the room when the joining server restarts mid-resync', async () => {
    const roomId = await bigRoom(aliceToken, 'atrium');
    // B's resync asks for the state only once A is gone, however fast A would have answered.
    let aGone!: () => void;
    const gone = new Promise<void>((resolve) => (aGone = resolve));
    const federation = b.app.get(FederationClient);
    const request = federation.request.bind(federation);
    jest.spyOn(federation, 'request').mockImplementation(async (origin, destination, method, path, body) => {
      if (path.startsWith('/_matrix/federation/v1/state_ids/')) await gone;
      return request(origin, destination, method, path, body);
    });
    const joined = await client(
      b,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
      {},
      bob.token,
    );
    expect(joined.status).toBe(200);
    // A goes away before B has the full state: B's resync fails and the room stays partial across B's restart.
    await a.close();
    aGone();
    await b.app.get(PartialStateResync).settled(roomId);
    expect(await isPartial(b, roomId)).toBe(true);
    await b.close();
    a = await start(0);
    b = await start(1);
    await until('the room is complete after the restart', async () => (await isPartial(b, roomId)) === false);
    expect(await joinedMembers(b, roomId, bob.token)).toEqual(await joinedMembers(a, roomId, aliceToken));
  }, 180_000);
});
