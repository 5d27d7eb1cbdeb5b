import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Checks the client-server API makes before a state change reaches the room: joins, kicks and canonical aliases. */
describe('state change checks', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let roomId: string;
  let names = 0;

  const room = (id = roomId) => encodeURIComponent(id);
  const setCanonical = (content: Record<string, unknown>) =>
    raw.call(alice, 'PUT', `/rooms/${room()}/state/m.room.canonical_alias/`, content);
  const newAlias = async (target: string) => {
    const alias = `#state-rules-${names++}:localhost`;
    await raw.call(alice, 'PUT', `/directory/room/${encodeURIComponent(alias)}`, { room_id: target });
    return alias;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('state-rules');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  describe('GET /state/{type}/{key}', () => {
    it('gives the content by default', async () => {
      expect(
        (await raw.call(alice, 'GET', `/rooms/${room()}/state/m.room.member/${encodeURIComponent(alice.userId)}`)).body,
      ).toMatchObject({ membership: 'join' });
    });

    it('gives the whole event with format=event', async () => {
      const event = (
        await raw.call(
          alice,
          'GET',
          `/rooms/${room()}/state/m.room.member/${encodeURIComponent(alice.userId)}?format=event`,
        )
      ).body;
      expect(event).toMatchObject({
        type: 'm.room.member',
        state_key: alice.userId,
        sender: alice.userId,
        room_id: roomId,
        content: { membership: 'join' },
      });
    });
  });

  describe('PUT /state', () => {
    const put = async (content: Record<string, unknown>) =>
      (await raw.call(alice, 'PUT', `/rooms/${room()}/state/m.test.state/`, content)).body.event_id as string;

    it('answers the same state set twice by the same sender with the first event', async () => {
      const first = await put({ a_key: 'a_value' });
      expect(await put({ a_key: 'a_value' })).toBe(first);
    });

    it('makes a new event when the content changes', async () => {
      const first = await put({ a_key: 'one' });
      expect(await put({ a_key: 'two' })).not.toBe(first);
    });
  });

  describe('join', () => {
    it('puts extra keys of the join body into the member event, but never join_authorised_via_users_server', async () => {
      const bob = await raw.register(`custom-${names++}`);
      const joined = await raw.call(bob, 'POST', `/join/${room()}`, {
        foo: 'bar',
        membership: 'leave',
        join_authorised_via_users_server: alice.userId,
      });
      expect(joined.status).toBe(200);
      const content = (
        await raw.call(alice, 'GET', `/rooms/${room()}/state/m.room.member/${encodeURIComponent(bob.userId)}`)
      ).body;
      expect(content).toMatchObject({ membership: 'join', foo: 'bar' });
      expect(content).not.toHaveProperty('join_authorised_via_users_server');
    });
  });

  describe('kick', () => {
    it('refuses to kick a user who left with 403', async () => {
      const bob = await raw.register(`left-${names++}`);
      await raw.call(bob, 'POST', `/join/${room()}`, {});
      await raw.call(bob, 'POST', `/rooms/${room()}/leave`, {});
      expect(await raw.call(alice, 'POST', `/rooms/${room()}/kick`, { user_id: bob.userId })).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('refuses to kick a user who was never in the room with 403', async () => {
      expect(await raw.call(alice, 'POST', `/rooms/${room()}/kick`, { user_id: '@never:localhost' })).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });
  });

  describe('m.room.canonical_alias', () => {
    it("accepts the room's own alias", async () =>
      expect((await setCanonical({ alias: await newAlias(roomId) })).status).toBe(200));

    it('refuses an alias that is not valid with 400 M_INVALID_PARAM', async () => {
      expect(await setCanonical({ alias: 'not-an-alias' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it('refuses an alias that does not exist with 400 M_BAD_ALIAS', async () => {
      expect(await setCanonical({ alias: '#nowhere:localhost' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_ALIAS' },
      });
    });

    it('loses an alias deleted from the directory: the room gets a new event without it', async () => {
      const target = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
      const alias = await newAlias(target);
      await raw.call(alice, 'PUT', `/rooms/${room(target)}/state/m.room.canonical_alias/`, { alias });
      expect((await raw.call(alice, 'DELETE', `/directory/room/${encodeURIComponent(alias)}`)).status).toBe(200);
      expect((await raw.call(alice, 'GET', `/rooms/${room(target)}/state/m.room.canonical_alias/`)).body).toEqual({});
    });

    it('answers two requests deleting one alias at once with one 200 and one 404', async () => {
      const alias = await newAlias(roomId);
      const path = `/directory/room/${encodeURIComponent(alias)}`;
      const statuses = await Promise.all([raw.call(alice, 'DELETE', path), raw.call(alice, 'DELETE', path)]);
      expect(statuses.map((r) => r.status).sort()).toEqual([200, 404]);
    });

    it('refuses an alt alias of another room with 400 M_BAD_ALIAS', async () => {
      const other = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
      expect(await setCanonical({ alt_aliases: [await newAlias(other)] })).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_ALIAS' },
      });
    });
  });
});
