import { eventually } from '../support/matrix-client';
import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader } from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src/keyring';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startFederatingServer, type FederatingServer } from '../support/federating-server';

type User = { userId: string; token: string };
type Sync = { next_batch: string; rooms: Rooms };
type Rooms = Record<
  'join' | 'invite' | 'leave' | 'knock',
  Record<
    string,
    { knock_state?: { events: Array<{ type: string; state_key: string; content: Record<string, unknown> }> } }
  >
>;

/** Knocking and space hierarchies between two deployments of this server, over TLS from a throwaway CA. */
describe('knocking and spaces between two deployments', () => {
  const certs = makeTestCertificates();
  let a: FederatingServer;
  let b: FederatingServer;

  async function client(server: FederatingServer, method: string, path: string, token?: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function register(server: FederatingServer, username: string): Promise<User> {
    const { body } = await client(server, 'POST', '/_matrix/client/v3/register', undefined, {
      username,
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    return { userId: body.user_id as string, token: body.access_token as string };
  }

  const sync = async (server: FederatingServer, user: User, since?: string) =>
    (
      await client(
        server,
        'GET',
        `/_matrix/client/v3/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`,
        user.token,
      )
    ).body as unknown as Sync;
  const rooms = async (server: FederatingServer, user: User) => (await sync(server, user)).rooms;
  const membershipOn = async (server: FederatingServer, owner: User, roomId: string, userId: string) =>
    (
      await client(
        server,
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
        owner.token,
      )
    ).body.membership;

  /** A federation request to A signed by B, as another server would make it. */
  async function fromB(method: 'GET' | 'PUT', path: string, body?: Record<string, unknown>) {
    const key = await b.app.get(Keyring).signingKey(b.name);
    const authorization = authorizationHeader(
      { method, uri: path, origin: b.name, destination: a.name, ...(body ? { content: body as never } : {}) },
      key,
    );
    const answer = await httpsJson(
      { host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' },
      method,
      path,
      { ca: [readFileSync(certs.caFile, 'utf8')], timeoutMs: 10_000, headers: { authorization }, body },
    );
    return answer as { status: number; body: Record<string, unknown> };
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([startFederatingServer(certs), startFederatingServer(certs)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  describe('a knock across servers', () => {
    const knockable = {
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    };
    let alice: User;
    let roomId: string;

    beforeAll(async () => {
      alice = await register(a, 'alice');
      const created = await client(a, 'POST', '/_matrix/client/v3/createRoom', alice.token, {
        name: 'Knock across',
        ...knockable,
      });
      roomId = created.body.room_id as string;
    });

    it('goes through make_knock and send_knock, and is accepted with an invite the knocker joins by', async () => {
      const bob = await register(b, 'bob');
      const knocked = await client(
        b,
        'POST',
        `/_matrix/client/v3/knock/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
        bob.token,
        { reason: 'hello' },
      );
      expect(knocked).toEqual({ status: 200, body: { room_id: roomId } });
      const knockState = (await rooms(b, bob)).knock[roomId]?.knock_state?.events ?? [];
      expect(knockState.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Knock across' });
      expect(knockState.find((e) => e.type === 'm.room.join_rules')?.content).toEqual({ join_rule: 'knock' });
      expect(await membershipOn(a, alice, roomId, bob.userId)).toBe('knock');

      expect(
        (
          await client(a, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, alice.token, {
            user_id: bob.userId,
          })
        ).status,
      ).toBe(200);
      await eventually('the invite to replace the knock', async () => {
        const seen = await rooms(b, bob);
        return seen.invite[roomId] !== undefined && seen.knock[roomId] === undefined;
      });
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
      expect(await membershipOn(a, alice, roomId, bob.userId)).toBe('join');
    });

    it('is retracted through make_leave and send_leave', async () => {
      // A room of its own: B is in the first one now, so a knock there would go by transaction instead.
      const other = (await client(a, 'POST', '/_matrix/client/v3/createRoom', alice.token, knockable)).body
        .room_id as string;
      const carol = await register(b, 'carol');
      await client(
        b,
        'POST',
        `/_matrix/client/v3/knock/${encodeURIComponent(other)}?via=${encodeURIComponent(a.name)}`,
        carol.token,
        {},
      );
      expect(await membershipOn(a, alice, other, carol.userId)).toBe('knock');
      const knocked = await sync(b, carol);
      expect(
        (await client(b, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(other)}/leave`, carol.token, {}))
          .status,
      ).toBe(200);
      expect(await membershipOn(a, alice, other, carol.userId)).toBe('leave');
      const seen = (await sync(b, carol, knocked.next_batch)).rooms;
      expect({ knock: seen.knock[other], left: seen.leave[other] !== undefined }).toEqual({
        knock: undefined,
        left: true,
      });
    });

    it('is rejected by the room, which the knocker sees in rooms.leave', async () => {
      const other = (await client(a, 'POST', '/_matrix/client/v3/createRoom', alice.token, knockable)).body
        .room_id as string;
      const gail = await register(b, 'gail');
      await client(
        b,
        'POST',
        `/_matrix/client/v3/knock/${encodeURIComponent(other)}?via=${encodeURIComponent(a.name)}`,
        gail.token,
        {},
      );
      const knocked = await sync(b, gail);
      expect(knocked.rooms.knock[other]).toBeDefined();
      expect(
        (
          await client(a, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(other)}/kick`, alice.token, {
            user_id: gail.userId,
            reason: 'no',
          })
        ).status,
      ).toBe(200);
      await eventually(
        'the rejection to reach the knocker',
        async () => (await sync(b, gail, knocked.next_batch)).rooms.leave[other] !== undefined,
      );
      expect((await rooms(b, gail)).knock[other]).toBeUndefined();
    });

    it('is refused by an invite-only room with M_FORBIDDEN', async () => {
      const dave = await register(b, 'dave');
      const closed = (await client(a, 'POST', '/_matrix/client/v3/createRoom', alice.token, { preset: 'private_chat' }))
        .body.room_id as string;
      const refused = await client(
        b,
        'POST',
        `/_matrix/client/v3/knock/${encodeURIComponent(closed)}?via=${encodeURIComponent(a.name)}`,
        dave.token,
        {},
      );
      expect({ status: refused.status, errcode: refused.body.errcode }).toEqual({
        status: 403,
        errcode: 'M_FORBIDDEN',
      });
    });
  });

  describe('what A answers another server', () => {
    let owner: User;
    let knockRoom: string;
    let closedRoom: string;
    const makeKnock = (roomId: string, query: string) =>
      fromB(
        'GET',
        `/_matrix/federation/v1/make_knock/${encodeURIComponent(roomId)}/${encodeURIComponent(`@someone:${b.name}`)}${query}`,
      );

    beforeAll(async () => {
      owner = await register(a, 'owner');
      knockRoom = (
        await client(a, 'POST', '/_matrix/client/v3/createRoom', owner.token, {
          room_version: '10',
          initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
        })
      ).body.room_id as string;
      closedRoom = (await client(a, 'POST', '/_matrix/client/v3/createRoom', owner.token, { preset: 'private_chat' }))
        .body.room_id as string;
    });

    it("offers a knock template for the room's version", async () => {
      expect(await makeKnock(knockRoom, '?ver=10')).toMatchObject({
        status: 200,
        body: { room_version: '10', event: { type: 'm.room.member', content: { membership: 'knock' } } },
      });
    });

    it("refuses make_knock with M_INCOMPATIBLE_ROOM_VERSION when the room's version is not among ver", async () => {
      expect(await makeKnock(knockRoom, '?ver=7&ver=8')).toMatchObject({
        status: 400,
        body: { errcode: 'M_INCOMPATIBLE_ROOM_VERSION', room_version: '10' },
      });
    });

    it('refuses make_knock without ver with M_MISSING_PARAM', async () => {
      expect(await makeKnock(knockRoom, '')).toMatchObject({ status: 400, body: { errcode: 'M_MISSING_PARAM' } });
    });

    it('refuses make_knock on a room that does not allow knocking with M_FORBIDDEN, and on an unknown room with M_NOT_FOUND', async () => {
      expect(await makeKnock(closedRoom, '?ver=12')).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect(await makeKnock(`!unknown:${a.name}`, '?ver=12')).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
    });

    it('refuses send_knock of an event that is not a knock with M_INVALID_PARAM', async () => {
      const event = {
        type: 'm.room.member',
        room_id: knockRoom,
        sender: `@someone:${b.name}`,
        state_key: `@someone:${b.name}`,
        content: { membership: 'join' },
      };
      expect(
        await fromB(
          'PUT',
          `/_matrix/federation/v1/send_knock/${encodeURIComponent(knockRoom)}/${encodeURIComponent('$x')}`,
          event,
        ),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    });

    it('answers /hierarchy with the children B may see, and the others as inaccessible_children', async () => {
      const space = (
        await client(a, 'POST', '/_matrix/client/v3/createRoom', owner.token, {
          preset: 'public_chat',
          creation_content: { type: 'm.space' },
        })
      ).body.room_id as string;
      for (const child of [knockRoom, closedRoom])
        await client(
          a,
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
          owner.token,
          { via: [a.name] },
        );
      const { status, body } = await fromB('GET', `/_matrix/federation/v1/hierarchy/${encodeURIComponent(space)}`);
      expect(status).toBe(200);
      expect({
        room: (body.room as { room_id: string }).room_id,
        children: (body.children as Array<{ room_id: string }>).map((c) => c.room_id),
        inaccessible: body.inaccessible_children,
      }).toEqual({
        room: space,
        children: [knockRoom],
        inaccessible: [closedRoom],
      });
      expect(await fromB('GET', `/_matrix/federation/v1/hierarchy/${encodeURIComponent(closedRoom)}`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });
  });

  it('shows a space whose child lives on the other server', async () => {
    const erin = await register(a, 'erin');
    const frank = await register(b, 'frank');
    const space = (
      await client(a, 'POST', '/_matrix/client/v3/createRoom', erin.token, {
        preset: 'public_chat',
        name: 'Space on A',
        creation_content: { type: 'm.space' },
      })
    ).body.room_id as string;
    const child = (
      await client(b, 'POST', '/_matrix/client/v3/createRoom', frank.token, {
        preset: 'public_chat',
        name: 'Room on B',
        topic: 'over there',
      })
    ).body.room_id as string;
    await client(
      a,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
      erin.token,
      { via: [b.name] },
    );
    const { status, body } = await client(
      a,
      'GET',
      `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`,
      erin.token,
    );
    expect(status).toBe(200);
    expect((body.rooms as Array<Record<string, unknown>>).map((r) => ({ room_id: r.room_id, name: r.name }))).toEqual([
      { room_id: space, name: 'Space on A' },
      { room_id: child, name: 'Room on B' },
    ]);
    expect((body.rooms as Array<Record<string, unknown>>)[1]).toMatchObject({
      topic: 'over there',
      join_rule: 'public',
      num_joined_members: 1,
    });
  });
});
