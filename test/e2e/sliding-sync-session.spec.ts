import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '../../libs/storage/src';
import { cloneRoom } from '../../tools/fixtures/room-clones';
import { SlidingSyncClient, type SlidingResponse } from '../support/sliding-sync-client';

const ROOMS = 1_000;

/**
 * A session as Element X has one: a user in 1,000 rooms scrolls the room
 * list in growing windows, opens one room (a subscription), and stays synced
 * while a message, an invite, to-device messages and a device-list change
 * arrive.
 */
describe('a sliding sync session over 1,000 rooms', () => {
  jest.setTimeout(60_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let user: Account;
  let friend: Account;
  let ss: SlidingSyncClient;
  const created: string[] = [];
  const list = (end: number) => ({
    lists: {
      all: {
        ranges: [[0, end]],
        timeline_limit: 1,
        required_state: [
          ['m.room.name', ''],
          ['m.room.encryption', ''],
          ['m.room.member', '$ME'],
        ],
        filters: { not_room_types: ['m.space'] },
      },
    },
    extensions: { to_device: { enabled: true }, e2ee: { enabled: true } },
  });

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    user = await raw.register('scroller');
    friend = await raw.register('friend');
    // One room made through the API, shared with the friend; the other 999 are copies of it made in the database.
    const template = (await raw.call(user, 'POST', '/createRoom', { name: 'a room', invite: [friend.userId] })).body
      .room_id as string;
    await raw.call(friend, 'POST', `/join/${encodeURIComponent(template)}`, {});
    const prisma = server.app.get<Database>(DATABASE).prisma;
    const copies = await cloneRoom(
      (sql, ...params) => prisma.$queryRawUnsafe(sql, ...params),
      template,
      ROOMS - 1,
      'session',
    );
    await server.app.get<PositionCache>(POSITION_CACHE).advance('events', copies.maxPosition);
    created.push(template, ...copies.roomIds);
    ss = new SlidingSyncClient(() => server.url, user.token);
  }, 120_000);

  const subscribed = () => ({
    ...list(ROOMS - 1),
    room_subscriptions: { [created[0]]: { timeline_limit: 20, required_state: [['*', '*']] } },
  });

  /** Long-polls until an answer satisfies `wanted` (an answer may bring something else first). */
  async function syncUntil(
    body: Record<string, unknown>,
    wanted: (r: SlidingResponse) => boolean,
  ): Promise<SlidingResponse> {
    for (let i = 0; i < 5; i++) {
      const response = await ss.sync(body, 10_000);
      if (wanted(response)) return response;
    }
    throw new Error('no answer brought what was waited for');
  }
  afterAll(async () => server.close());

  it('scrolls the whole list in growing windows, each room sent once, newest first', async () => {
    const first = await ss.sync(list(19));
    expect(first.lists!.all.count).toBe(ROOMS);
    expect(Object.keys(first.rooms!)).toHaveLength(20);
    const seen = new Set(Object.keys(first.rooms!));
    for (let end = 99; ; end += 200) {
      const response = await ss.sync(list(Math.min(end, ROOMS - 1)));
      for (const roomId of Object.keys(response.rooms!)) {
        expect(seen.has(roomId)).toBe(false);
        seen.add(roomId);
      }
      if (end >= ROOMS - 1) break;
    }
    expect(seen.size).toBe(ROOMS);
    // Copies are newer than the template, each newer than the one before.
    expect(ss.window('all')).toEqual([...created].reverse());
  }, 120_000);

  it('subscribes to one room, whose next message brings its latest history and all its state', async () => {
    const roomId = created[0];
    setTimeout(
      () =>
        void raw.call(friend, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m1`, {
          msgtype: 'm.text',
          body: 'hello',
        }),
      100,
    );
    // As in Synapse, a room the connection has gets a wider config with its next update.
    const response = await syncUntil(subscribed(), (r) => r.rooms![roomId] !== undefined);
    const room = response.rooms![roomId];
    expect(room.expanded_timeline).toBe(true);
    expect(room.timeline!.at(-1)!.content.body).toBe('hello');
    expect(room.timeline!.length).toBeGreaterThan(1);
    expect(room.required_state!.some((e) => e.type === 'm.room.create')).toBe(true);
    expect(ss.window('all')[0]).toBe(roomId);
  });

  it('receives an invite', async () => {
    const invited = (await raw.call(friend, 'POST', '/createRoom', { name: 'come in', invite: [user.userId] })).body
      .room_id as string;
    const response = await syncUntil(subscribed(), (r) => r.rooms![invited] !== undefined);
    expect(response.rooms![invited].membership).toBe('invite');
    expect(response.lists!.all.count).toBe(ROOMS + 1);
    expect(ss.window('all')[0]).toBe(invited);
  });

  it('receives to-device messages', async () => {
    setTimeout(
      () =>
        void raw.sendToDevice(friend, 'm.room_key_request', {
          [user.userId]: { [user.deviceId]: { action: 'request' } },
        }),
      100,
    );
    const response = await syncUntil(subscribed(), (r) => r.extensions!.to_device!.events.length > 0);
    expect(response.extensions!.to_device!.events.map((e) => e.type)).toEqual(['m.room_key_request']);
  });

  it('learns of a device-list change of someone it shares a room with', async () => {
    setTimeout(
      () =>
        void raw.call(friend, 'POST', '/keys/upload', {
          device_keys: {
            user_id: friend.userId,
            device_id: friend.deviceId,
            algorithms: ['m.olm.v1.curve25519-aes-sha2'],
            keys: { [`ed25519:${friend.deviceId}`]: 'k' },
            signatures: {},
          },
        }),
      100,
    );
    const changed = await syncUntil(subscribed(), (r) => r.extensions!.e2ee!.device_lists!.changed.length > 0);
    expect(changed.extensions!.e2ee!.device_lists!.changed).toContain(friend.userId);
  });
});
