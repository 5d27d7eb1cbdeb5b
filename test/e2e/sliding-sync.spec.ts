import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { SlidingSyncClient, SlidingSyncError } from '../support/sliding-sync-client';

/** Simplified sliding sync (MSC4186), spoken by the test client written from the MSC. */
describe('simplified sliding sync (MSC4186)', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let txn = 0;

  const path = (roomId: string) => encodeURIComponent(roomId);
  const send = async (who: Account, roomId: string, body: string) =>
    (await raw.call(who, 'PUT', `/rooms/${path(roomId)}/send/m.room.message/t${txn++}`, { msgtype: 'm.text', body }))
      .body.event_id as string;
  const createRoom = async (who: Account, body: Record<string, unknown> = {}) =>
    (await raw.call(who, 'POST', '/createRoom', body)).body.room_id as string;
  const client = (who: Account, connId = `c${txn++}`) => new SlidingSyncClient(() => server.url, who.token, connId);
  const allRooms = (range: [number, number], extra: Record<string, unknown> = {}) => ({
    lists: {
      all: {
        ranges: [range],
        timeline_limit: 3,
        required_state: [
          ['m.room.name', ''],
          ['m.room.create', ''],
        ],
        ...extra,
      },
    },
  });

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('ss-alice');
    bob = await raw.register('ss-bob');
  }, 60_000);
  afterAll(async () => server.close());

  describe('lists', () => {
    let user: Account;
    const rooms: string[] = [];

    beforeAll(async () => {
      user = await raw.register('ss-lister');
      for (let i = 0; i < 5; i++) rooms.push(await createRoom(user, { name: `room ${i}` }));
      // Activity reorders them: room 1 is now the most recent, then room 3.
      await send(user, rooms[3], 'three');
      await send(user, rooms[1], 'one');
    }, 60_000);

    it('answers the window of rooms most recently active first, with the total count', async () => {
      const ss = client(user);
      const response = await ss.sync(allRooms([0, 2]));
      expect(response.lists!.all.count).toBe(5);
      expect(ss.window('all')).toEqual([rooms[1], rooms[3], rooms[4]]);
      expect(Object.keys(response.rooms!).sort()).toEqual([rooms[1], rooms[3], rooms[4]].sort());
    });

    it('sends a room in full the first time: initial, name, timeline, required_state, counts, bump_stamp', async () => {
      const ss = client(user);
      const room = (await ss.sync(allRooms([0, 0]))).rooms![rooms[1]];
      expect(room).toMatchObject({
        initial: true,
        name: 'room 1',
        membership: 'join',
        joined_count: 1,
        invited_count: 0,
        limited: true,
        num_live: 0,
        lists: ['all'],
      });
      expect(room.timeline!.map((e) => e.content.body ?? e.type)).toHaveLength(3);
      expect(room.timeline!.at(-1)!.content.body).toBe('one');
      expect(room.required_state!.map((e) => e.type).sort()).toEqual(['m.room.create', 'm.room.name']);
      expect(room.bump_stamp).toEqual(expect.any(Number));
      expect(room.prev_batch).toEqual(expect.any(String));
    });

    it('sends only rooms with news on the next request, with the new events as live', async () => {
      const ss = client(user);
      await ss.sync(allRooms([0, 4]));
      await send(user, rooms[0], 'news');
      const response = await ss.sync(allRooms([0, 4]));
      expect(Object.keys(response.rooms!)).toEqual([rooms[0]]);
      const room = response.rooms![rooms[0]];
      expect(room.initial).toBeUndefined();
      expect(room.timeline!.map((e) => e.content.body)).toEqual(['news']);
      expect(room).toMatchObject({ num_live: 1, limited: false });
      expect(ss.window('all')[0]).toBe(rooms[0]);
    });

    it('sends only the rooms a grown window adds', async () => {
      const ss = client(user);
      await ss.sync(allRooms([0, 1]));
      const response = await ss.sync(allRooms([0, 3]));
      expect(Object.keys(response.rooms!).sort()).toEqual(ss.window('all').slice(2).sort());
    });

    it('sends the latest events again, marked expanded, with the next update after the timeline limit grows', async () => {
      const ss = client(user);
      await ss.sync(allRooms([0, 0], { timeline_limit: 1 }));
      const roomId = ss.window('all')[0];
      await send(user, roomId, 'more');
      const room = (await ss.sync(allRooms([0, 0], { timeline_limit: 3 }))).rooms![roomId];
      expect(room.expanded_timeline).toBe(true);
      expect(room.timeline!.map((e) => e.content.body ?? e.type)).toHaveLength(3);
    });

    it('returns rooms without a range: the whole list', async () => {
      const ss = client(user);
      const response = await ss.sync({ lists: { all: { timeline_limit: 0, required_state: [] } } });
      expect(Object.keys(response.rooms!)).toHaveLength(5);
    });
  });

  describe('connections', () => {
    it('refuses a pos it does not know with M_UNKNOWN_POS', async () => {
      const ss = client(alice);
      await expect(ss.send({}, 'nonsense')).rejects.toMatchObject({ status: 400, errcode: 'M_UNKNOWN_POS' });
      await ss.sync({});
      await expect(ss.send({}, `${ss.pos!.split('.')[0]}.999`)).rejects.toBeInstanceOf(SlidingSyncError);
    });

    it('accepts the previous pos again (the client lost the answer) and refuses older ones', async () => {
      const roomId = await createRoom(alice);
      const ss = client(alice);
      const first = await ss.sync(allRooms([0, 0]));
      await send(alice, roomId, 'one');
      const second = await ss.sync(allRooms([0, 0]));
      const retried = await ss.send({ conn_id: ss.connId, ...allRooms([0, 0]) }, first.pos);
      expect(Object.keys(retried.rooms!)).toEqual(Object.keys(second.rooms!));
      // The client processed the retried answer: it goes on from that one's pos.
      ss.pos = retried.pos;
      await send(alice, roomId, 'two');
      await ss.sync(allRooms([0, 0]));
      await ss.sync(allRooms([0, 0]));
      await expect(ss.send({ conn_id: ss.connId }, first.pos)).rejects.toMatchObject({ errcode: 'M_UNKNOWN_POS' });
    });

    it('keeps connections with different conn_ids apart', async () => {
      const roomId = await createRoom(alice, { name: 'two connections' });
      const one = client(alice, 'one');
      const two = client(alice, 'two');
      await one.sync(allRooms([0, 0]));
      expect((await two.sync(allRooms([0, 0]))).rooms![roomId].initial).toBe(true);
      await expect(one.send({ conn_id: 'two' }, one.pos)).rejects.toMatchObject({ errcode: 'M_UNKNOWN_POS' });
    });

    it('returns the same pos and no rooms when nothing changed before the timeout', async () => {
      const ss = client(alice);
      await ss.sync(allRooms([0, 0]));
      const pos = ss.pos;
      const response = await ss.sync(allRooms([0, 0]), 300);
      expect(response.pos).toBe(pos);
      expect(response.rooms).toEqual({});
    });

    it('wakes a long-poll when a message arrives', async () => {
      const roomId = await createRoom(alice);
      const ss = client(alice);
      await ss.sync(allRooms([0, 0]));
      const started = Date.now();
      const polling = ss.sync(allRooms([0, 0]), 20_000);
      setTimeout(() => void send(alice, roomId, 'wake up'), 200);
      const response = await polling;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.rooms![roomId].timeline!.map((e) => e.content.body)).toEqual(['wake up']);
    });

    it('refuses a malformed body with M_BAD_JSON', async () => {
      const ss = client(alice);
      await expect(
        ss.send({ lists: { all: { ranges: [[5, 1]], timeline_limit: 1, required_state: [] } } }, undefined),
      ).rejects.toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
      await expect(
        ss.send({ lists: { all: { timeline_limit: -1, required_state: [] } } }, undefined),
      ).rejects.toMatchObject({ errcode: 'M_BAD_JSON' });
    });
  });

  describe('required_state', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = await createRoom(alice, { name: 'state', topic: 'a topic', invite: [bob.userId] });
      await raw.call(bob, 'POST', `/join/${path(roomId)}`, {});
      await send(alice, roomId, 'from alice');
    });
    const stateOf = async (requiredState: string[][] | Record<string, unknown>, timelineLimit = 1) => {
      const ss = client(bob);
      const response = await ss.sync({
        room_subscriptions: { [roomId]: { timeline_limit: timelineLimit, required_state: requiredState } },
      });
      return response.rooms![roomId].required_state!.map((e) => `${e.type}|${e.state_key}`).sort();
    };

    it('matches a type with any state key ("*")', async () => {
      expect(await stateOf([['m.room.member', '*']])).toEqual(
        [`m.room.member|${alice.userId}`, `m.room.member|${bob.userId}`].sort(),
      );
    });

    it('matches every type ("*", "*")', async () => {
      expect(await stateOf([['*', '*']])).toEqual(
        expect.arrayContaining(['m.room.topic|', 'm.room.name|', 'm.room.create|', `m.room.member|${bob.userId}`]),
      );
    });

    it('matches the user asking with $ME', async () => {
      expect(await stateOf([['m.room.member', '$ME']])).toEqual([`m.room.member|${bob.userId}`]);
    });

    it('sends the members the timeline needs with $LAZY, and only them', async () => {
      expect(await stateOf([['m.room.member', '$LAZY']])).toEqual([`m.room.member|${alice.userId}`]);
    });

    it('takes the object form: include ({} for everything), exclude, lazy_members', async () => {
      const everything = await stateOf({
        include: [{}],
        exclude: [{ type: 'm.room.member' }, { type: 'm.room.create', state_key: '' }],
      });
      expect(everything).toEqual(expect.arrayContaining(['m.room.topic|', 'm.room.name|']));
      expect(everything.filter((k) => k.startsWith('m.room.member|') || k === 'm.room.create|')).toEqual([]);
      // Lazy members are not subject to exclude (MSC4186 "Lazy loaded memberships").
      expect(
        await stateOf({ include: [{ type: 'm.room.name' }], exclude: [{ type: 'm.room.member' }], lazy_members: true }),
      ).toEqual(['m.room.name|', `m.room.member|${alice.userId}`].sort());
    });

    it('sends a lazy member once per connection', async () => {
      const ss = client(bob);
      const config = {
        room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [['m.room.member', '$LAZY']] } },
      };
      await ss.sync(config);
      await send(alice, roomId, 'again');
      const room = (await ss.sync(config)).rooms![roomId];
      expect(room.timeline!.map((e) => e.content.body)).toEqual(['again']);
      expect(room.required_state).toBeUndefined();
    });

    it('sends a changed state event that the required_state selects', async () => {
      const ss = client(bob);
      const config = {
        room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [['m.room.topic', '']] } },
      };
      await ss.sync(config);
      await raw.call(alice, 'PUT', `/rooms/${path(roomId)}/state/m.room.topic/`, { topic: 'new topic' });
      const room = (await ss.sync(config)).rooms![roomId];
      expect(room.required_state!.map((e) => e.content.topic)).toEqual(['new topic']);
    });
  });

  describe('rooms', () => {
    it('shows an invite with its stripped state, then the room in full once joined', async () => {
      const roomId = await createRoom(alice, { name: 'invitation' });
      const ss = client(bob);
      await ss.sync(allRooms([0, 9]));
      await raw.call(alice, 'POST', `/rooms/${path(roomId)}/invite`, { user_id: bob.userId });
      const invited = (await ss.sync(allRooms([0, 9]))).rooms![roomId];
      expect(invited.membership).toBe('invite');
      expect(invited.invite_state!.some((e) => e.type === 'm.room.name' && e.content.name === 'invitation')).toBe(true);
      expect(invited.timeline).toBeUndefined();
      await raw.call(bob, 'POST', `/join/${path(roomId)}`, {});
      const joined = (await ss.sync(allRooms([0, 9]))).rooms![roomId];
      expect(joined).toMatchObject({ membership: 'join', initial: true, name: 'invitation', joined_count: 2 });
    });

    it('counts notifications and highlights with the events that add them; a read receipt clears them', async () => {
      const roomId = await createRoom(alice, { preset: 'public_chat', name: 'counted' });
      await raw.call(bob, 'POST', `/join/${path(roomId)}`, {});
      const ss = client(bob);
      const subscription = { room_subscriptions: { [roomId]: { timeline_limit: 5, required_state: [] } } };
      expect((await ss.sync(subscription)).rooms![roomId]).toMatchObject({ notification_count: 0, highlight_count: 0 });
      const waiting = ss.sync(subscription, 10_000);
      await send(alice, roomId, 'plain');
      const mention = (
        await raw.call(alice, 'PUT', `/rooms/${path(roomId)}/send/m.room.message/t${txn++}`, {
          msgtype: 'm.text',
          body: 'hey',
          'm.mentions': { user_ids: [bob.userId] },
        })
      ).body.event_id as string;
      // Long-polled: the answer may come with the first message alone; the counts always count what it carries.
      let room = (await waiting).rooms![roomId];
      while (!room.timeline!.some((e) => e.event_id === mention))
        room = (await ss.sync(subscription, 10_000)).rooms![roomId];
      expect(room).toMatchObject({ notification_count: 2, highlight_count: 1 });
      await raw.call(bob, 'POST', `/rooms/${path(roomId)}/receipt/m.read/${encodeURIComponent(mention)}`, {});
      await send(alice, roomId, 'after the receipt');
      expect((await ss.sync(subscription, 10_000)).rooms![roomId]).toMatchObject({
        notification_count: 1,
        highlight_count: 0,
      });
    });

    it('names a room without a name by its heroes', async () => {
      const roomId = await createRoom(alice, { invite: [bob.userId] });
      const room = (
        await client(alice).sync({ room_subscriptions: { [roomId]: { timeline_limit: 0, required_state: [] } } })
      ).rooms![roomId];
      expect(room.name).toBeUndefined();
      expect(room.heroes!.map((h) => h.user_id)).toEqual([bob.userId]);
      expect(room.invited_count).toBe(1);
    });

    it('ignores a subscription to a room the user has no membership of', async () => {
      const roomId = await createRoom(alice, { preset: 'public_chat' });
      const response = await client(bob).sync({
        room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [] } },
      });
      expect(response.rooms![roomId]).toBeUndefined();
    });

    it('applies history visibility: a member who joined a "joined" room sees nothing from before', async () => {
      const roomId = await createRoom(alice, {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
        ],
      });
      await send(alice, roomId, 'before bob');
      await raw.call(bob, 'POST', `/join/${path(roomId)}`, {});
      await send(alice, roomId, 'after bob');
      const room = (
        await client(bob).sync({ room_subscriptions: { [roomId]: { timeline_limit: 10, required_state: [] } } })
      ).rooms![roomId];
      const bodies = room.timeline!.map((e) => e.content.body).filter(Boolean);
      expect(bodies).toEqual(['after bob']);
    });
  });

  describe('filters', () => {
    let user: Account;
    let plain: string, encrypted: string, dm: string, space: string, child: string, tagged: string, invite: string;
    const ids = async (filters: Record<string, unknown>) => {
      const ss = client(user);
      await ss.sync({ lists: { f: { ranges: [[0, 50]], timeline_limit: 0, required_state: [], filters } } });
      return ss.window('f').sort();
    };

    beforeAll(async () => {
      user = await raw.register('ss-filters');
      plain = await createRoom(user);
      encrypted = await createRoom(user, {
        initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      });
      dm = await createRoom(user, { is_direct: true });
      await raw.call(user, 'PUT', `/user/${encodeURIComponent(user.userId)}/account_data/m.direct`, {
        [alice.userId]: [dm],
      });
      space = await createRoom(user, { creation_content: { type: 'm.space' } });
      child = await createRoom(user);
      await raw.call(user, 'PUT', `/rooms/${path(space)}/state/m.space.child/${path(child)}`, { via: ['localhost'] });
      tagged = await createRoom(user);
      await raw.call(
        user,
        'PUT',
        `/user/${encodeURIComponent(user.userId)}/rooms/${path(tagged)}/tags/m.favourite`,
        {},
      );
      invite = await createRoom(alice, { invite: [user.userId] });
    }, 60_000);

    it('is_dm', async () => {
      expect(await ids({ is_dm: true })).toEqual([dm]);
      expect(await ids({ is_dm: false })).not.toContain(dm);
    });

    it('is_encrypted', async () => {
      expect(await ids({ is_encrypted: true })).toEqual([encrypted]);
      expect(await ids({ is_encrypted: false })).toContain(plain);
    });

    it('is_invite', async () => {
      expect(await ids({ is_invite: true })).toEqual([invite]);
      expect(await ids({ is_invite: false })).not.toContain(invite);
    });

    it('room_types and not_room_types (null for rooms without a type)', async () => {
      expect(await ids({ room_types: ['m.space'] })).toEqual([space]);
      expect(await ids({ not_room_types: ['m.space'] })).not.toContain(space);
      expect(await ids({ room_types: [null], not_room_types: [null] })).toEqual([]);
    });

    it("spaces: the joined space's children", async () => {
      expect(await ids({ spaces: [space] })).toEqual([child]);
    });

    it('tags and not_tags', async () => {
      expect(await ids({ tags: ['m.favourite'] })).toEqual([tagged]);
      expect(await ids({ not_tags: ['m.favourite'] })).not.toContain(tagged);
    });
  });

  describe('extensions', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = await createRoom(alice, { invite: [bob.userId], name: 'extensions' });
      await raw.call(bob, 'POST', `/join/${path(roomId)}`, {});
    });

    it('threads (MSC4360): threads with replies since the last answer, once each, with their roots on request', async () => {
      const threads = (include_roots: boolean) => ({
        extensions: { 'io.element.msc4360.threads': { enabled: true, include_roots } },
      });
      const reply = (root: string, body: string) =>
        raw.call(alice, 'PUT', `/rooms/${path(roomId)}/send/m.room.message/t${txn++}`, {
          msgtype: 'm.text',
          body,
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        });
      const ss = client(bob);
      await ss.sync(threads(false));
      const busy = await send(alice, roomId, 'busy thread');
      const quiet = await send(alice, roomId, 'quiet thread');
      await reply(busy, 'one');
      await reply(busy, 'two');
      await reply(quiet, 'only');
      const updates = (await ss.sync(threads(false))).extensions!['io.element.msc4360.threads']!.updates[roomId];
      expect(Object.keys(updates).sort()).toEqual([busy, quiet].sort());
      // More than one reply: a token for /relations to read the ones before the latest.
      expect(updates[busy].prev_batch).toEqual(expect.any(String));
      expect(updates[quiet]).toEqual({});
      const earlier = await fetch(
        `${server.url}/_matrix/client/v1/rooms/${path(roomId)}/relations/${encodeURIComponent(busy)}/m.thread?dir=b&from=${updates[busy].prev_batch}`,
        { headers: { authorization: `Bearer ${bob.token}` } },
      );
      expect(
        ((await earlier.json()) as { chunk: Array<{ content: { body: string } }> }).chunk.map((e) => e.content.body),
      ).toEqual(['one']);

      await reply(busy, 'three');
      const rooted = (await ss.sync(threads(true))).extensions!['io.element.msc4360.threads']!.updates[roomId][busy];
      expect(rooted.thread_root).toMatchObject({
        event_id: busy,
        unsigned: { 'm.relations': { 'm.thread': { count: 3 } } },
      });
      // Nothing new: no threads section.
      expect((await ss.sync(threads(false))).extensions!['io.element.msc4360.threads']).toBeUndefined();
    });

    it("threads (MSC4360): leaves out, without include_roots, a thread whose replies the answer's timelines carry", async () => {
      const ss = client(bob);
      const config = {
        room_subscriptions: { [roomId]: { timeline_limit: 10, required_state: [] } },
        extensions: { 'io.element.msc4360.threads': { enabled: true } },
      };
      await ss.sync(config);
      const root = await send(alice, roomId, 'root in view');
      await raw.call(alice, 'PUT', `/rooms/${path(roomId)}/send/m.room.message/t${txn++}`, {
        msgtype: 'm.text',
        body: 'in view',
        'm.relates_to': { rel_type: 'm.thread', event_id: root },
      });
      const response = await ss.sync(config);
      expect(response.rooms![roomId].timeline!.map((e) => e.content.body)).toEqual(['root in view', 'in view']);
      expect(response.extensions!['io.element.msc4360.threads']).toBeUndefined();
    });

    it('threads (MSC4360): more updated threads than the limit: /thread_updates pages the rest, down to the pos', async () => {
      const threads = { extensions: { 'io.element.msc4360.threads': { enabled: true, limit: 2 } } };
      const thread = async (body: string) => {
        const root = await send(alice, roomId, body);
        await raw.call(alice, 'PUT', `/rooms/${path(roomId)}/send/m.room.message/t${txn++}`, {
          msgtype: 'm.text',
          body: `re: ${body}`,
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        });
        return root;
      };
      const threadUpdates = async (query: string) => {
        const response = await fetch(
          `${server.url}/_matrix/client/unstable/io.element.msc4360/thread_updates?${query}`,
          {
            headers: { authorization: `Bearer ${bob.token}` },
          },
        );
        return { status: response.status, body: (await response.json()) as Record<string, any> };
      };
      const ss = client(bob);
      const before = await thread('before the connection');
      await ss.sync(threads);
      const [first, second, third, fourth] = [
        await thread('1'),
        await thread('2'),
        await thread('3'),
        await thread('4'),
      ];
      const pos = ss.pos!;
      const answer = (await ss.sync(threads)).extensions!['io.element.msc4360.threads']!;
      expect(Object.keys(answer.updates[roomId])).toEqual([fourth, third]);
      expect(answer.prev_batch).toEqual(expect.any(String));

      const page = await threadUpdates(`dir=b&from=${answer.prev_batch}&to=${pos}&limit=1`);
      expect(page.status).toBe(200);
      expect(Object.keys(page.body.chunk[roomId])).toEqual([second]);
      expect(page.body.chunk[roomId][second].thread_root).toMatchObject({
        event_id: second,
        unsigned: { 'm.relations': { 'm.thread': { count: 1 } } },
      });
      const last = await threadUpdates(`dir=b&from=${page.body.next_batch}&to=${pos}`);
      // The thread updated before the request's pos is not in range.
      expect(Object.keys(last.body.chunk[roomId])).toEqual([first]);
      expect(last.body.next_batch).toBeUndefined();
      // Without bounds, from the latest: every thread since bob joined, the latest first.
      const all = await threadUpdates('dir=b');
      expect(Object.keys(all.body.chunk[roomId]).slice(0, 5)).toEqual([fourth, third, second, first, before]);
    });

    it('/thread_updates (MSC4360): refuses pagination other than backwards, and positions of other devices', async () => {
      const call = (query: string) =>
        fetch(`${server.url}/_matrix/client/unstable/io.element.msc4360/thread_updates?${query}`, {
          headers: { authorization: `Bearer ${bob.token}` },
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errcode?: string } }));
      expect(await call('dir=f')).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await call('dir=b&limit=0')).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      const alices = client(alice);
      await alices.sync({});
      expect(await call(`dir=b&to=${alices.pos}`)).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN_POS' } });
    });

    it('to_device: delivers messages once, from its own since', async () => {
      const ss = client(bob);
      const config = { extensions: { to_device: { enabled: true } } };
      await ss.sync(config);
      await raw.sendToDevice(alice, 'm.test', { [bob.userId]: { [bob.deviceId]: { n: 1 } } });
      const first = await ss.sync(config);
      expect(first.extensions!.to_device!.events).toEqual([
        { sender: alice.userId, type: 'm.test', content: { n: 1 } },
      ]);
      expect((await ss.sync(config)).extensions!.to_device!.events).toEqual([]);
    });

    it('e2ee: one-time key counts always, device list changes on later answers', async () => {
      const ss = client(alice);
      const config = { extensions: { e2ee: { enabled: true } } };
      const first = await ss.sync(config);
      expect(first.extensions!.e2ee!.device_one_time_keys_count).toEqual({});
      expect(first.extensions!.e2ee!.device_unused_fallback_key_types).toEqual([]);
      expect(first.extensions!.e2ee!.device_lists).toBeUndefined();
      await raw.call(bob, 'POST', '/keys/upload', {
        device_keys: {
          user_id: bob.userId,
          device_id: bob.deviceId,
          algorithms: ['m.olm.v1.curve25519-aes-sha2'],
          keys: { [`ed25519:${bob.deviceId}`]: 'k' },
          signatures: {},
        },
      });
      const next = await ss.sync(config, 5_000);
      expect(next.extensions!.e2ee!.device_lists!.changed).toContain(bob.userId);
    });

    it('account_data: global and per room, scoped to the rooms of the answer', async () => {
      await raw.call(bob, 'PUT', `/user/${encodeURIComponent(bob.userId)}/account_data/org.example.global`, { a: 1 });
      await raw.call(
        bob,
        'PUT',
        `/user/${encodeURIComponent(bob.userId)}/rooms/${path(roomId)}/account_data/org.example.room`,
        { b: 2 },
      );
      const ss = client(bob);
      const response = await ss.sync({
        room_subscriptions: { [roomId]: { timeline_limit: 0, required_state: [] } },
        extensions: { account_data: { enabled: true } },
      });
      expect(response.extensions!.account_data!.global).toContainEqual({
        type: 'org.example.global',
        content: { a: 1 },
      });
      expect(response.extensions!.account_data!.rooms[roomId]).toContainEqual({
        type: 'org.example.room',
        content: { b: 2 },
      });
      const unscoped = await client(bob).sync({
        room_subscriptions: { [roomId]: { timeline_limit: 0, required_state: [] } },
        extensions: { account_data: { enabled: true, rooms: [] } },
      });
      expect(unscoped.extensions!.account_data!.rooms).toEqual({});
    });

    it('receipts and typing for the rooms of the answer', async () => {
      const eventId = await send(alice, roomId, 'read me');
      const ss = client(bob);
      const config = {
        room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [] } },
        extensions: { receipts: { enabled: true }, typing: { enabled: true } },
      };
      await ss.sync(config);
      await raw.call(alice, 'POST', `/rooms/${path(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, {});
      await raw.call(alice, 'PUT', `/rooms/${path(roomId)}/typing/${encodeURIComponent(alice.userId)}`, {
        typing: true,
        timeout: 30_000,
      });
      const response = await ss.sync(config, 5_000);
      const later = response.extensions!.typing!.rooms[roomId] ? response : await ss.sync(config, 5_000);
      const receipts = response.extensions!.receipts!.rooms[roomId] ?? later.extensions!.receipts!.rooms[roomId];
      expect(receipts.content[eventId]).toMatchObject({ 'm.read': { [alice.userId]: expect.any(Object) } });
      expect(
        (response.extensions!.typing!.rooms[roomId] ?? later.extensions!.typing!.rooms[roomId]).content.user_ids,
      ).toEqual([alice.userId]);
    });
  });

  it('is advertised in /versions', async () => {
    const versions = (await (await fetch(`${server.url}/_matrix/client/versions`)).json()) as {
      unstable_features: Record<string, boolean>;
    };
    expect(versions.unstable_features['org.matrix.simplified_msc3575']).toBe(true);
    // MSC4360: the threads extension with its companion /thread_updates.
    expect(versions.unstable_features['io.element.msc4360']).toBe(true);
  });
});
