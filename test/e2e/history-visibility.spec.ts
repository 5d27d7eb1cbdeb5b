import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

type Raw = ReturnType<typeof rawClient>;
interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/**
 * History visibility on every client read path (client-server-api "Room
 * History Visibility"): who may read which events of a room, and what a
 * former member still sees.
 */
describe('history visibility', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: Raw;
  let alice: Account;
  let names = 0;

  const room = (id: string) => encodeURIComponent(id);
  const fresh = () => raw.register(`hv${names++}`);
  const send = async (who: Account, roomId: string, body: string) =>
    (
      await raw.call(who, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/${body}-${names++}`, {
        msgtype: 'm.text',
        body,
      })
    ).body.event_id as string;
  const createRoom = async (historyVisibility: string, preset = 'public_chat') =>
    (
      await raw.call(alice, 'POST', '/createRoom', {
        preset,
        initial_state: [
          { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: historyVisibility } },
        ],
      })
    ).body.room_id as string;
  const join = (who: Account, roomId: string) => raw.call(who, 'POST', `/join/${room(roomId)}`, {});
  const leave = (who: Account, roomId: string) => raw.call(who, 'POST', `/rooms/${room(roomId)}/leave`, {});
  const messages = async (who: Account, roomId: string) => {
    const response = await raw.call(who, 'GET', `/rooms/${room(roomId)}/messages?dir=b&limit=100`);
    return {
      status: response.status,
      bodies: ((response.body.chunk ?? []) as ClientEvent[])
        .filter((e) => e.type === 'm.room.message')
        .map((e) => e.content.body)
        .reverse(),
    };
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('hv-alice');
  }, 60_000);
  afterAll(async () => server.close());

  describe('a user who never joined a private room', () => {
    let roomId: string;
    let eventId: string;
    let stranger: Account;

    beforeAll(async () => {
      roomId = await createRoom('shared', 'private_chat');
      eventId = await send(alice, roomId, 'secret');
      stranger = await fresh();
    });

    it.each([
      ['/messages', () => `/rooms/${room(roomId)}/messages?dir=b`],
      ['/context', () => `/rooms/${room(roomId)}/context/${encodeURIComponent(eventId)}`],
      ['/state', () => `/rooms/${room(roomId)}/state`],
      ['/state/{type}/{key}', () => `/rooms/${room(roomId)}/state/m.room.create/`],
      ['/members', () => `/rooms/${room(roomId)}/members`],
      ['/joined_members', () => `/rooms/${room(roomId)}/joined_members`],
    ])('is refused %s with 403 M_FORBIDDEN', async (_name, path) => {
      expect(await raw.call(stranger, 'GET', path())).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    });

    it('gets 404 M_NOT_FOUND for one of its events, as for an event that does not exist', async () => {
      expect(
        await raw.call(stranger, 'GET', `/rooms/${room(roomId)}/event/${encodeURIComponent(eventId)}`),
      ).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    });

    it('gets the same 403 from /messages of a room that does not exist', async () => {
      expect(await raw.call(stranger, 'GET', `/rooms/${room('!nowhere:localhost')}/messages?dir=b`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });
  });

  describe('a world_readable room', () => {
    let roomId: string;
    let eventId: string;
    let stranger: Account;

    beforeAll(async () => {
      roomId = await createRoom('world_readable');
      eventId = await send(alice, roomId, 'for everyone');
      stranger = await fresh();
    });

    it('lets a non-member page its messages', async () =>
      expect(await messages(stranger, roomId)).toEqual({ status: 200, bodies: ['for everyone'] }));

    it('lets a non-member read one event and its state', async () => {
      expect(
        (await raw.call(stranger, 'GET', `/rooms/${room(roomId)}/event/${encodeURIComponent(eventId)}`)).body.content,
      ).toEqual({ msgtype: 'm.text', body: 'for everyone' });
      expect((await raw.call(stranger, 'GET', `/rooms/${room(roomId)}/state`)).status).toBe(200);
    });
  });

  describe('joined: a member who joined and later left', () => {
    let roomId: string;
    let bob: Account;
    let beforeJoin: string;
    let afterLeave: string;

    beforeAll(async () => {
      roomId = await createRoom('joined');
      bob = await fresh();
      beforeJoin = await send(alice, roomId, 'before join');
      await join(bob, roomId);
      await send(alice, roomId, 'while joined');
      await leave(bob, roomId);
      afterLeave = await send(alice, roomId, 'after leave');
      await raw.call(alice, 'PUT', `/rooms/${room(roomId)}/state/m.room.topic/`, { topic: 'changed after the leave' });
    });

    it('pages only the messages sent while joined', async () =>
      expect(await messages(bob, roomId)).toEqual({ status: 200, bodies: ['while joined'] }));

    it('still sees their own join and leave', async () => {
      const chunk = (await raw.call(bob, 'GET', `/rooms/${room(roomId)}/messages?dir=b&limit=100`)).body
        .chunk as ClientEvent[];
      expect(
        chunk.filter((e) => e.type === 'm.room.member' && e.state_key === bob.userId).map((e) => e.content.membership),
      ).toEqual(['leave', 'join']);
    });

    it('gets 404 for an event from before the join and one from after the leave', async () => {
      for (const eventId of [beforeJoin, afterLeave]) {
        expect((await raw.call(bob, 'GET', `/rooms/${room(roomId)}/event/${encodeURIComponent(eventId)}`)).status).toBe(
          404,
        );
        expect(
          (await raw.call(bob, 'GET', `/rooms/${room(roomId)}/context/${encodeURIComponent(eventId)}`)).status,
        ).toBe(404);
      }
    });

    it('reads the state as it was at the leave', async () => {
      expect((await raw.call(bob, 'GET', `/rooms/${room(roomId)}/state/m.room.topic/`)).status).toBe(404);
      const state = (await raw.call(bob, 'GET', `/rooms/${room(roomId)}/state`)).body as unknown as ClientEvent[];
      expect(state.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.content.membership).toBe(
        'leave',
      );
      expect(state.some((e) => e.type === 'm.room.topic')).toBe(false);
    });

    it('gets the members as they were at the leave', async () => {
      const carol = await fresh();
      await join(carol, roomId);
      const chunk = (await raw.call(bob, 'GET', `/rooms/${room(roomId)}/members`)).body.chunk as ClientEvent[];
      expect(chunk.map((e) => e.state_key)).not.toContain(carol.userId);
    });

    it('is refused /joined_members once left', async () =>
      expect((await raw.call(bob, 'GET', `/rooms/${room(roomId)}/joined_members`)).status).toBe(403));
  });

  describe('a room its former member forgot', () => {
    it('is no longer readable by them: /messages answers 403', async () => {
      const roomId = await createRoom('shared');
      const bob = await fresh();
      await join(bob, roomId);
      await send(alice, roomId, 'seen while joined');
      await leave(bob, roomId);
      expect((await messages(bob, roomId)).bodies).toEqual(['seen while joined']);
      await raw.call(bob, 'POST', `/rooms/${room(roomId)}/forget`, {});
      expect(await raw.call(bob, 'GET', `/rooms/${room(roomId)}/messages?dir=b`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('still shows its leave to an incremental sync from before it, but not to an initial sync with include_leave', async () => {
      const roomId = await createRoom('shared');
      const bob = await fresh();
      await join(bob, roomId);
      const before = (await raw.sync(bob)).next_batch;
      await leave(bob, roomId);
      await raw.call(bob, 'POST', `/rooms/${room(roomId)}/forget`, {});
      const includeLeave = encodeURIComponent(JSON.stringify({ room: { include_leave: true } }));
      const incremental = (await raw.call(bob, 'GET', `/sync?timeout=0&since=${before}&filter=${includeLeave}`))
        .body as { rooms: { leave: Record<string, unknown> } };
      const initial = (await raw.call(bob, 'GET', `/sync?timeout=0&filter=${includeLeave}`)).body as {
        rooms: { leave: Record<string, unknown> };
      };
      expect(Object.keys(incremental.rooms.leave)).toEqual([roomId]);
      expect(initial.rooms.leave).toEqual({});
    });

    it('cannot be forgotten while joined: 400 M_UNKNOWN', async () => {
      const roomId = await createRoom('shared');
      expect(await raw.call(alice, 'POST', `/rooms/${room(roomId)}/forget`, {})).toMatchObject({
        status: 400,
        body: { errcode: 'M_UNKNOWN' },
      });
    });
  });

  describe('shared', () => {
    it('shows a newly joined member the history from before the join, and nothing after a leave', async () => {
      const roomId = await createRoom('shared');
      const bob = await fresh();
      await send(alice, roomId, 'earlier');
      await join(bob, roomId);
      await leave(bob, roomId);
      await send(alice, roomId, 'later');
      expect(await messages(bob, roomId)).toEqual({ status: 200, bodies: ['earlier'] });
    });
  });

  describe('invited', () => {
    it('shows a member the events from their invite on', async () => {
      const roomId = await createRoom('invited');
      const bob = await fresh();
      await send(alice, roomId, 'before invite');
      await raw.call(alice, 'POST', `/rooms/${room(roomId)}/invite`, { user_id: bob.userId });
      await send(alice, roomId, 'while invited');
      await join(bob, roomId);
      await send(alice, roomId, 'after join');
      expect((await messages(bob, roomId)).bodies).toEqual(['while invited', 'after join']);
    });
  });

  describe('/sync', () => {
    type Rooms = Record<'join' | 'leave', Record<string, { timeline: { events: ClientEvent[] } } | undefined>>;
    const timelineBodies = (sync: Record<string, unknown>, section: 'join' | 'leave', roomId: string) =>
      ((sync.rooms as Rooms)[section][roomId]?.timeline.events ?? [])
        .filter((e) => e.type === 'm.room.message')
        .map((e) => e.content.body);

    it('gives a member who joined a joined-visibility room no events from before the join', async () => {
      const roomId = await createRoom('joined');
      const bob = await fresh();
      await send(alice, roomId, 'not for bob');
      await join(bob, roomId);
      await send(alice, roomId, 'for bob');
      const initial = (await raw.call(bob, 'GET', '/sync')).body;
      expect(timelineBodies(initial, 'join', roomId)).toEqual(['for bob']);
    });

    it('shows a user the leave that rejected their invite to a joined-visibility room', async () => {
      const roomId = await createRoom('joined', 'private_chat');
      const bob = await fresh();
      await raw.call(alice, 'POST', `/rooms/${room(roomId)}/invite`, { user_id: bob.userId });
      const since = (await raw.sync(bob)).next_batch;
      await leave(bob, roomId);
      const left = ((await raw.call(bob, 'GET', `/sync?since=${since}`)).body.rooms as Rooms).leave[roomId];
      expect(left?.timeline.events.map((e) => [e.type, e.state_key, e.content.membership])).toEqual([
        ['m.room.member', bob.userId, 'leave'],
      ]);
    });

    it("ends a left room's timeline at the leave", async () => {
      const roomId = await createRoom('joined');
      const bob = await fresh();
      await join(bob, roomId);
      const since = (await raw.sync(bob)).next_batch;
      await send(alice, roomId, 'seen');
      await leave(bob, roomId);
      await send(alice, roomId, 'unseen');
      const incremental = (await raw.call(bob, 'GET', `/sync?since=${since}`)).body;
      expect(timelineBodies(incremental, 'leave', roomId)).toEqual(['seen']);
    });
  });

  describe('unsigned.membership', () => {
    it("gives each event the reader's membership at it, in /sync and /messages", async () => {
      const roomId = await createRoom('shared');
      const bob = await fresh();
      await send(alice, roomId, 'before bob');
      await join(bob, roomId);
      await send(alice, roomId, 'after bob');
      const memberships = (events: ClientEvent[]) =>
        events
          .filter((e) => e.type === 'm.room.message')
          .map((e) => [e.content.body, (e as unknown as { unsigned: { membership?: string } }).unsigned.membership]);
      const synced = (
        (await raw.call(bob, 'GET', '/sync')).body.rooms as {
          join: Record<string, { timeline: { events: ClientEvent[] } }>;
        }
      ).join[roomId].timeline.events;
      expect(memberships(synced)).toEqual([
        ['before bob', 'leave'],
        ['after bob', 'join'],
      ]);
      const paged = ((await raw.call(bob, 'GET', `/rooms/${room(roomId)}/messages?dir=f&from=t0`)).body.chunk ??
        []) as ClientEvent[];
      expect(memberships(paged)).toEqual([
        ['before bob', 'leave'],
        ['after bob', 'join'],
      ]);
    });
  });

  describe('a sender deactivated with erase', () => {
    it('has their events redacted for users who were not joined when they were sent', async () => {
      const roomId = await createRoom('shared');
      const carol = await fresh();
      const witness = await fresh();
      await join(carol, roomId);
      await join(witness, roomId);
      const eventId = await send(carol, roomId, 'forget me');
      await raw.call(carol, 'POST', '/account/deactivate', {
        erase: true,
        auth: {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: carol.userId },
          password: 'correct horse',
        },
      });
      const latecomer = await fresh();
      await join(latecomer, roomId);
      const read = async (who: Account) =>
        (await raw.call(who, 'GET', `/rooms/${room(roomId)}/event/${encodeURIComponent(eventId)}`)).body.content;
      expect(await read(latecomer)).toEqual({});
      expect(await read(witness)).toEqual({ msgtype: 'm.text', body: 'forget me' });
    });
  });
});
