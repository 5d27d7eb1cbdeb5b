import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Room summaries, timestamp_to_event and mutual rooms on the wire. */
describe('room information', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  const enc = encodeURIComponent;
  const v1 = async (who: Account | undefined, path: string) => {
    const response = await fetch(`${server.url}/_matrix/client${path}`, {
      headers: who ? { authorization: `Bearer ${who.token}` } : {},
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('info-alice');
    bob = await raw.register('info-bob');
  }, 60_000);
  afterAll(async () => server.close());

  describe('GET /room_summary', () => {
    it('summarises a public room for anyone, by ID or alias, with the requester’s membership', async () => {
      const roomId = (
        await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'Lobby', room_alias_name: 'lobby' })
      ).body.room_id as string;
      const byAlias = await v1(bob, `/v1/room_summary/${enc(`#lobby:${alice.userId.split(':')[1]}`)}`);
      expect(byAlias.body).toMatchObject({
        room_id: roomId,
        name: 'Lobby',
        join_rule: 'public',
        num_joined_members: 1,
        room_version: expect.any(String),
      });
      expect(byAlias.body.membership).toBeUndefined();
      expect((await v1(alice, `/v1/room_summary/${enc(roomId)}`)).body.membership).toBe('join');
      expect((await v1(undefined, `/v1/room_summary/${enc(roomId)}`)).body.room_id).toBe(roomId);
    });

    it('is 404 for a private room the requester is not in, as for one that does not exist', async () => {
      const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
      expect((await v1(bob, `/v1/room_summary/${enc(roomId)}`)).body.errcode).toBe('M_NOT_FOUND');
      expect((await v1(bob, `/v1/room_summary/${enc('!nothing:localhost')}`)).body.errcode).toBe('M_NOT_FOUND');
    });
  });

  describe('GET /timestamp_to_event', () => {
    it('finds the event nearest a time in either direction', async () => {
      const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
      const before = Date.now();
      const eventId = (
        await raw.call(alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/ts1`, {
          msgtype: 'm.text',
          body: 'now',
        })
      ).body.event_id as string;
      const forwards = await v1(alice, `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${before}&dir=f`);
      expect(forwards.body).toEqual({ event_id: eventId, origin_server_ts: expect.any(Number) });
      const backwards = await v1(alice, `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${Date.now() + 1000}&dir=b`);
      expect(backwards.body.event_id).toBe(eventId);
      expect(
        (await v1(alice, `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=${Date.now() + 60_000}&dir=f`)).body.errcode,
      ).toBe('M_NOT_FOUND');
    });

    it('refuses a room the user may not read, and a bad direction', async () => {
      const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
      expect((await v1(bob, `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=0&dir=f`)).body.errcode).toBe(
        'M_FORBIDDEN',
      );
      expect((await v1(alice, `/v1/rooms/${enc(roomId)}/timestamp_to_event?ts=0&dir=x`)).body.errcode).toBe(
        'M_INVALID_PARAM',
      );
    });
  });

  describe('GET /mutual_rooms', () => {
    it('lists the rooms both users are joined to, at the stable and the MSC2666 path', async () => {
      const carol = await raw.register('info-carol');
      const dave = await raw.register('info-dave');
      const shared = (await raw.call(carol, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
      await raw.call(dave, 'POST', `/join/${enc(shared)}`, {});
      await raw.call(carol, 'POST', '/createRoom', { preset: 'public_chat' });
      expect((await v1(carol, `/v1/mutual_rooms?user_id=${enc(dave.userId)}`)).body).toEqual({
        joined: [shared],
        count: 1,
      });
      expect(
        (await v1(carol, `/unstable/uk.half-shot.msc2666/user/mutual_rooms?user_id=${enc(dave.userId)}`)).body.joined,
      ).toEqual([shared]);
    });

    it('refuses the requester’s own ID and a malformed one', async () => {
      expect((await v1(alice, `/v1/mutual_rooms?user_id=${enc(alice.userId)}`)).body.errcode).toBe('M_INVALID_PARAM');
      expect((await v1(alice, `/v1/mutual_rooms?user_id=nobody`)).body.errcode).toBe('M_INVALID_PARAM');
    });
  });
});
