import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** POST /rooms/{roomId}/upgrade on the wire (client-server-api "Room Upgrades", server behaviour). */
describe('room upgrades', () => {
  // Several rooms are created and upgraded before the tests: more than jest's default 5 s on a busy machine.
  jest.setTimeout(30_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  const enc = encodeURIComponent;
  const state = async (roomId: string, type: string, stateKey = '') =>
    (await raw.call(alice, 'GET', `/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`)).body;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('up-alice');
    bob = await raw.register('up-bob');
  }, 60_000);
  afterAll(async () => server.close());

  describe('of a published room with an alias, a topic and a ban', () => {
    let oldRoomId: string;
    let newRoomId: string;
    let mallory: Account;

    beforeAll(async () => {
      mallory = await raw.register('up-mallory');
      oldRoomId = (
        await raw.call(alice, 'POST', '/createRoom', {
          preset: 'public_chat',
          visibility: 'public',
          room_alias_name: 'upgraded',
          topic: 'Old topic',
          room_version: '10',
        })
      ).body.room_id as string;
      await raw.call(bob, 'POST', `/join/${enc(oldRoomId)}`, {});
      await raw.call(alice, 'POST', `/rooms/${enc(oldRoomId)}/ban`, { user_id: mallory.userId, reason: 'spam' });
      const answer = await raw.call(alice, 'POST', `/rooms/${enc(oldRoomId)}/upgrade`, { new_version: '11' });
      expect(answer.status).toBe(200);
      newRoomId = answer.body.replacement_room as string;
    });

    it('tombstones the old room, naming the new one', async () => {
      expect(await state(oldRoomId, 'm.room.tombstone')).toMatchObject({ replacement_room: newRoomId });
    });

    it('makes the new room of the asked version, pointing back at the old one, with its state and bans', async () => {
      expect(await state(newRoomId, 'm.room.create')).toMatchObject({
        room_version: '11',
        predecessor: { room_id: oldRoomId },
      });
      expect(await state(newRoomId, 'm.room.topic')).toMatchObject({ topic: 'Old topic' });
      expect(await state(newRoomId, 'm.room.join_rules')).toEqual({ join_rule: 'public' });
      expect(await state(newRoomId, 'm.room.member', mallory.userId)).toMatchObject({ membership: 'ban' });
      expect((await state(newRoomId, 'm.room.power_levels')).users).toEqual(
        (await state(oldRoomId, 'm.room.power_levels')).users,
      );
    });

    it('moves the alias, the canonical alias and the directory entry', async () => {
      const alias = `#upgraded:${alice.userId.split(':')[1]}`;
      expect((await raw.call(bob, 'GET', `/directory/room/${enc(alias)}`)).body.room_id).toBe(newRoomId);
      expect(await state(newRoomId, 'm.room.canonical_alias')).toEqual({ alias });
      expect((await raw.call(bob, 'GET', `/directory/list/room/${enc(newRoomId)}`)).body.visibility).toBe('public');
      expect((await raw.call(bob, 'GET', `/directory/list/room/${enc(oldRoomId)}`)).body.visibility).toBe('private');
    });

    it('stops ordinary members speaking and inviting in the old room', async () => {
      expect(await state(oldRoomId, 'm.room.power_levels')).toMatchObject({ events_default: 50, invite: 50 });
      const sent = await raw.call(bob, 'PUT', `/rooms/${enc(oldRoomId)}/send/m.room.message/late`, {
        msgtype: 'm.text',
        body: 'late',
      });
      expect(sent.body.errcode).toBe('M_FORBIDDEN');
    });
  });

  describe('of a room a member muted, tagged and marked direct', () => {
    let oldRoomId: string;
    let newRoomId: string;
    const account = (path: string) => raw.call(bob, 'GET', `/user/${enc(bob.userId)}${path}`);

    beforeAll(async () => {
      oldRoomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
      await raw.call(bob, 'POST', `/join/${enc(oldRoomId)}`, {});
      await raw.call(bob, 'PUT', `/pushrules/global/room/${enc(oldRoomId)}`, { actions: [] });
      await raw.call(bob, 'PUT', `/user/${enc(bob.userId)}/rooms/${enc(oldRoomId)}/tags/u.work`, { order: 0.5 });
      await raw.call(bob, 'PUT', `/user/${enc(bob.userId)}/account_data/m.direct`, { [alice.userId]: [oldRoomId] });
      newRoomId = (await raw.call(alice, 'POST', `/rooms/${enc(oldRoomId)}/upgrade`, { new_version: '11' })).body
        .replacement_room as string;
      await raw.call(bob, 'POST', `/join/${enc(newRoomId)}`, {});
    });

    it("gives the new room the member's push rule, tags and m.direct entry when they join it", async () => {
      expect((await raw.call(bob, 'GET', `/pushrules/global/room/${enc(newRoomId)}`)).body).toMatchObject({
        rule_id: newRoomId,
        actions: [],
        enabled: true,
      });
      expect((await account(`/rooms/${enc(newRoomId)}/tags`)).body).toEqual({ tags: { 'u.work': { order: 0.5 } } });
      expect((await account('/account_data/m.direct')).body).toEqual({ [alice.userId]: [oldRoomId, newRoomId] });
    });

    it('keeps them on the old room too', async () => {
      expect((await raw.call(bob, 'GET', `/pushrules/global/room/${enc(oldRoomId)}`)).status).toBe(200);
      expect((await account(`/rooms/${enc(oldRoomId)}/tags`)).body).toEqual({ tags: { 'u.work': { order: 0.5 } } });
    });
  });

  it("gives a room created by hand as another's replacement the creator's push rule of the old room", async () => {
    const oldRoomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await raw.call(alice, 'PUT', `/pushrules/global/room/${enc(oldRoomId)}`, { actions: ['dont_notify'] });
    const newRoomId = (
      await raw.call(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        creation_content: { predecessor: { room_id: oldRoomId } },
      })
    ).body.room_id as string;
    expect((await raw.call(alice, 'GET', `/pushrules/global/room/${enc(newRoomId)}`)).body).toMatchObject({
      rule_id: newRoomId,
      actions: ['dont_notify'],
    });
  });

  it('refuses a member who may not send the tombstone, and changes nothing', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await raw.call(bob, 'POST', `/join/${enc(roomId)}`, {});
    const answer = await raw.call(bob, 'POST', `/rooms/${enc(roomId)}/upgrade`, { new_version: '11' });
    expect([answer.status, answer.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect((await raw.call(alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.tombstone/`)).status).toBe(404);
  });

  it('refuses a room version the server does not know', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    const answer = await raw.call(alice, 'POST', `/rooms/${enc(roomId)}/upgrade`, { new_version: '999' });
    expect([answer.status, answer.body.errcode]).toEqual([400, 'M_UNSUPPORTED_ROOM_VERSION']);
  });
});
