import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database, type DatabaseConfig } from './database';
import { roomsWithNewNotifications, type UnreadCount } from './notification-counts';
import { allocationSql } from './stream-positions';
import { UnreadCounts } from './unread-counts';

const configs: Array<[string, () => DatabaseConfig]> = [
  ['PGlite', () => ({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-unread-')) })],
];
if (process.env.LATTICE_TEST_POSTGRES_URL)
  configs.push(['Postgres', () => ({ kind: 'postgres', url: process.env.LATTICE_TEST_POSTGRES_URL! })]);

/** A seeded generator, so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

interface Row {
  /** A member, or '' for the event's shared row (shared_push_actions). */
  userId: string;
  /** A shared row's: it never counts for its sender. */
  sender?: string;
  roomId: string;
  pos: number;
  threadId: string;
  notify: boolean;
  highlight: boolean;
}

/**
 * The rooms, memberships, receipts and notification rows of one test, written to the database and kept here too:
 * `expected` counts them as notification-counts.ts's UNREAD says, row by row.
 */
class World {
  readonly rows: Row[] = [];
  readonly events: Array<{ roomId: string; pos: number }> = [];
  private readonly joins = new Map<string, number>();
  private readonly receipts = new Map<string, { userId: string; roomId: string; threadId: string; pos: number }>();
  private next: number;
  private readonly run = Math.random().toString(36).slice(2, 8);

  constructor(
    private readonly db: Database,
    start: number,
  ) {
    this.next = start;
  }

  user(i: number): string {
    return `@u${i}-${this.run}:h`;
  }

  room(i: number): string {
    return `!r${i}-${this.run}:h`;
  }

  async createRooms(count: number): Promise<void> {
    for (let i = 0; i < count; i++)
      await this.db.prisma.$executeRawUnsafe(
        `INSERT INTO rooms (room_id, room_version) VALUES ($1, '10')`,
        this.room(i),
      );
  }

  /** A new event of the room, with a notification row for each user given. */
  async message(roomId: string, rows: Array<Omit<Row, 'roomId' | 'pos'>>): Promise<number> {
    const pos = this.next++;
    await this.db.prisma.$executeRawUnsafe(
      `INSERT INTO events (event_id, room_nid, type_nid, sender, depth, origin_server_ts, stream_pos)
       SELECT $1, room_nid, 1, '@s:h', 1, 0, $2 FROM rooms WHERE room_id = $3`,
      this.eventId(pos),
      pos,
      roomId,
    );
    this.events.push({ roomId, pos });
    for (const row of rows) await this.notify({ ...row, roomId, pos });
    return pos;
  }

  /** A notification row, with a position of its own as the push service writes them. */
  async notify(row: Row): Promise<void> {
    const alloc = `WITH alloc AS (${allocationSql("'notifications'", '1::bigint')})`;
    const values = [this.eventId(row.pos), row.roomId, row.pos, row.threadId, row.notify, row.highlight];
    if (row.userId === '')
      await this.db.prisma.$executeRawUnsafe(
        `${alloc} INSERT INTO shared_push_actions (event_id, room_id, stream_pos, thread_id, notify, highlight, actions, ts, notif_pos, sender)
         SELECT $1, $2, $3, $4, $5, $6, '[]', 0, position, $7 FROM alloc`,
        ...values,
        row.sender,
      );
    else
      await this.db.prisma.$executeRawUnsafe(
        `${alloc} INSERT INTO event_push_actions (event_id, room_id, stream_pos, thread_id, notify, highlight, actions, ts, notif_pos, user_id)
         SELECT $1, $2, $3, $4, $5, $6, '[]', 0, position, $7 FROM alloc`,
        ...values,
        row.userId,
      );
    this.rows.push(row);
  }

  async setMembership(userId: string, roomId: string, membership: 'join' | 'leave'): Promise<void> {
    const pos = await this.message(roomId, []);
    // Keyed as the room-server keys a member's state: by the m.room.member type and the user's state key.
    await this.db.prisma.$executeRawUnsafe(
      `INSERT INTO event_types (type) VALUES ('m.room.member') ON CONFLICT (type) DO NOTHING`,
    );
    await this.db.prisma.$executeRawUnsafe(
      `INSERT INTO event_state_keys (state_key) VALUES ($1) ON CONFLICT (state_key) DO NOTHING`,
      userId,
    );
    await this.db.prisma.$executeRawUnsafe(
      `INSERT INTO current_state (room_nid, type_nid, state_key_nid, event_nid, user_id, membership, stream_pos)
       SELECT r.room_nid, t.type_nid, k.state_key_nid, e.event_nid, $1, $3, $4
         FROM rooms r, events e, event_types t, event_state_keys k
        WHERE r.room_id = $2 AND e.event_id = $5 AND t.type = 'm.room.member' AND k.state_key = $1
       ON CONFLICT (room_nid, type_nid, state_key_nid) DO UPDATE SET membership = $3, stream_pos = $4, event_nid = EXCLUDED.event_nid`,
      userId,
      roomId,
      membership,
      pos,
      this.eventId(pos),
    );
    if (membership === 'join') this.joins.set(`${userId} ${roomId}`, pos);
    else this.joins.delete(`${userId} ${roomId}`);
  }

  async receipt(userId: string, roomId: string, type: string, threadId: string, pos: number): Promise<void> {
    await this.db.prisma.$executeRawUnsafe(
      `INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, stream_pos) VALUES ($1, $2, $3, $4, $5, 0, 0)
       ON CONFLICT (room_id, receipt_type, user_id, thread_id) DO UPDATE SET event_id = EXCLUDED.event_id`,
      roomId,
      type,
      userId,
      threadId,
      this.eventId(pos),
    );
    this.receipts.set(`${userId} ${roomId} ${type} ${threadId}`, { userId, roomId, threadId, pos });
  }

  expected(pairs: Array<{ userId: string; roomId: string }>): UnreadCount[] {
    const counts: UnreadCount[] = [];
    for (const { userId, roomId } of pairs) {
      const read = (threadId: string) =>
        Math.max(
          0,
          ...[...this.receipts.values()]
            .filter((r) => r.userId === userId && r.roomId === roomId && r.threadId === threadId)
            .map((r) => r.pos),
        );
      const joined = this.joins.has(`${userId} ${roomId}`);
      const floor = Math.max(this.joins.get(`${userId} ${roomId}`) ?? 0, read(''));
      const own = new Set(this.rows.filter((r) => r.userId === userId).map((r) => `${r.roomId} ${r.pos}`));
      const counted = (row: Row) =>
        row.userId === userId
          ? row.notify || row.highlight
          : row.userId === '' && joined && row.sender !== userId && !own.has(`${row.roomId} ${row.pos}`);
      const byThread = new Map<string, UnreadCount>();
      for (const row of this.rows) {
        if (!counted(row) || row.roomId !== roomId || row.pos <= floor || row.pos <= read(row.threadId)) continue;
        const count = byThread.get(row.threadId) ?? {
          userId,
          roomId,
          threadId: row.threadId,
          notificationCount: 0,
          highlightCount: 0,
        };
        count.notificationCount += row.notify ? 1 : 0;
        count.highlightCount += row.highlight ? 1 : 0;
        byThread.set(row.threadId, count);
      }
      counts.push(...byThread.values());
    }
    return sorted(counts);
  }

  private eventId(pos: number): string {
    return `$e${pos}-${this.run}`;
  }
}

function sorted(counts: UnreadCount[]): UnreadCount[] {
  return [...counts].sort((a, b) =>
    `${a.userId} ${a.roomId} ${a.threadId}`.localeCompare(`${b.userId} ${b.roomId} ${b.threadId}`),
  );
}

describe.each(configs)('unread counts on %s', (_name, config) => {
  let db: Database;
  // Event positions are unique in the events table: each test starts far from the others (and from earlier runs).
  let start = Date.now() * 1_000;
  beforeAll(async () => {
    db = await openDatabase(config());
  }, 60_000);
  afterAll(async () => db.close());
  const newWorld = async (rooms: number) => {
    const world = new World(db, (start += 1_000_000));
    await world.createRooms(rooms);
    return world;
  };

  it('counts the rows past the join and the receipts, each thread apart, and adds only new rows to the kept counts', async () => {
    const world = await newWorld(1);
    const [alice, room] = [world.user(1), world.room(0)];
    const counts = new UnreadCounts(db.prisma);
    const pair = [{ userId: alice, roomId: room }];
    await world.message(room, [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    await world.setMembership(alice, room, 'join');
    const read = await world.message(room, [{ userId: alice, threadId: 'main', notify: true, highlight: true }]);
    await world.message(room, [{ userId: alice, threadId: '$root', notify: true, highlight: false }]);
    expect(sorted(await counts.ofRooms(pair))).toEqual([
      { userId: alice, roomId: room, threadId: '$root', notificationCount: 1, highlightCount: 0 },
      { userId: alice, roomId: room, threadId: 'main', notificationCount: 1, highlightCount: 1 },
    ]);
    await world.message(room, [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    expect(sorted(await counts.ofRooms(pair))).toEqual(world.expected(pair));
    await world.receipt(alice, room, 'm.read', 'main', read);
    expect(sorted(await counts.ofRooms(pair))).toEqual(world.expected(pair));
    await world.receipt(alice, room, 'm.read.private', '', world.events.at(-1)!.pos);
    expect(await counts.ofRooms(pair)).toEqual([]);
  });

  it('counts a row written late for an event before the kept position (another replica, a re-evaluation)', async () => {
    const world = await newWorld(1);
    const [alice, bob, room] = [world.user(1), world.user(2), world.room(0)];
    const counts = new UnreadCounts(db.prisma);
    const pair = [{ userId: bob, roomId: room }];
    const early = await world.message(room, [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    await world.message(room, [{ userId: bob, threadId: 'main', notify: true, highlight: false }]);
    expect(await counts.ofRooms(pair)).toEqual(world.expected(pair));
    await world.notify({ userId: bob, roomId: room, pos: early, threadId: 'main', notify: true, highlight: true });
    expect(await counts.ofRooms(pair)).toEqual([
      { userId: bob, roomId: room, threadId: 'main', notificationCount: 2, highlightCount: 1 },
    ]);
  });

  it('counts again from the new join after a rejoin', async () => {
    const world = await newWorld(1);
    const [alice, room] = [world.user(1), world.room(0)];
    const counts = new UnreadCounts(db.prisma);
    const pair = [{ userId: alice, roomId: room }];
    await world.setMembership(alice, room, 'join');
    await world.message(room, [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    expect(await counts.ofRooms(pair)).toHaveLength(1);
    await world.setMembership(alice, room, 'leave');
    await world.setMembership(alice, room, 'join');
    expect(await counts.ofRooms(pair)).toEqual([]);
  });

  it("counts an event's shared row for each member joined before it but its sender and those with a row of their own", async () => {
    const world = await newWorld(1);
    const [alice, bob, carol, dave, erin, room] = [1, 2, 3, 4, 5].map((i) => world.user(i)).concat(world.room(0));
    const counts = new UnreadCounts(db.prisma);
    for (const member of [alice, bob, carol]) await world.setMembership(member, room, 'join');
    await world.message(room, [
      { userId: '', sender: alice, threadId: 'main', notify: true, highlight: false },
      { userId: bob, threadId: 'main', notify: false, highlight: false },
      { userId: carol, threadId: 'main', notify: true, highlight: true },
    ]);
    await world.setMembership(erin, room, 'join');
    const pairs = [alice, bob, carol, dave, erin].map((userId) => ({ userId, roomId: room }));
    expect(sorted(await counts.ofRooms(pairs))).toEqual([
      { userId: carol, roomId: room, threadId: 'main', notificationCount: 1, highlightCount: 1 },
    ]);
    await world.message(room, [{ userId: '', sender: erin, threadId: 'main', notify: true, highlight: false }]);
    expect(sorted(await counts.ofRooms(pairs))).toEqual(world.expected(pairs));
  });

  it('stops counting shared rows when the member leaves, whatever their receipts', async () => {
    const world = await newWorld(1);
    const [alice, bob, room] = [world.user(1), world.user(2), world.room(0)];
    const counts = new UnreadCounts(db.prisma);
    const pair = [{ userId: alice, roomId: room }];
    await world.setMembership(alice, room, 'join');
    await world.receipt(alice, room, 'm.read', '', await world.message(room, []));
    await world.message(room, [{ userId: '', sender: bob, threadId: 'main', notify: true, highlight: false }]);
    expect(await counts.ofRooms(pair)).toEqual([
      { userId: alice, roomId: room, threadId: 'main', notificationCount: 1, highlightCount: 0 },
    ]);
    await world.setMembership(alice, room, 'leave');
    expect(await counts.ofRooms(pair)).toEqual([]);
  });

  it('counts as many pairs as an initial sync asks, planned for their number, as it counts a few', async () => {
    const world = await newWorld(1);
    const room = world.room(0);
    const members = Array.from({ length: 110 }, (_, i) => world.user(i));
    const counts = new UnreadCounts(db.prisma);
    for (const member of members) await world.setMembership(member, room, 'join');
    await world.message(room, [
      { userId: '', sender: members[0], threadId: 'main', notify: true, highlight: false },
      { userId: members[1], threadId: 'main', notify: true, highlight: true },
    ]);
    const pairs = members.map((userId) => ({ userId, roomId: room }));
    expect(sorted(await counts.ofRooms(pairs))).toEqual(world.expected(pairs));
    await world.message(room, [{ userId: '', sender: members[2], threadId: 'main', notify: true, highlight: false }]);
    expect(sorted(await counts.ofRooms(pairs.slice(0, 3)))).toEqual(world.expected(pairs.slice(0, 3)));
    expect(sorted(await counts.ofRooms(pairs))).toEqual(world.expected(pairs));
  });

  it('finds the rooms whose counts changed between two positions: own rows, and shared rows standing for the user', async () => {
    const world = await newWorld(4);
    const [alice, bob] = [world.user(1), world.user(2)];
    const [own, shared, sentByAlice, notJoined] = [0, 1, 2, 3].map((i) => world.room(i));
    for (const room of [shared, sentByAlice]) await world.setMembership(alice, room, 'join');
    const position = async () =>
      BigInt(
        (
          await db.prisma.$queryRawUnsafe<Array<{ position: bigint }>>(
            `SELECT position FROM stream_positions WHERE stream = 'notifications'`,
          )
        )[0].position,
      );
    const after = await position();
    await world.message(own, [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    await world.message(shared, [{ userId: '', sender: bob, threadId: 'main', notify: true, highlight: false }]);
    await world.message(sentByAlice, [{ userId: '', sender: alice, threadId: 'main', notify: true, highlight: false }]);
    await world.message(notJoined, [{ userId: '', sender: bob, threadId: 'main', notify: true, highlight: false }]);
    const upTo = await position();
    const [changed, none] = await roomsWithNewNotifications(db.prisma, [
      { userId: alice, after, upTo },
      { userId: alice, after: upTo, upTo },
    ]);
    expect([...changed].sort()).toEqual([own, shared].sort());
    expect(none.size).toBe(0);
  });

  it('counts every room of a user with rows for a badge', async () => {
    const world = await newWorld(4);
    const alice = world.user(1);
    const counts = new UnreadCounts(db.prisma);
    await world.message(world.room(0), [{ userId: alice, threadId: 'main', notify: true, highlight: false }]);
    await world.message(world.room(2), [{ userId: alice, threadId: 'main', notify: false, highlight: true }]);
    const all = [0, 1, 2, 3].map((i) => ({ userId: alice, roomId: world.room(i) }));
    expect(sorted(await counts.ofUsers([alice]))).toEqual(world.expected(all));
    await world.message(world.room(1), [{ userId: alice, threadId: '$t', notify: true, highlight: false }]);
    expect(sorted(await counts.ofUsers([alice, alice]))).toEqual(world.expected(all));
    await world.setMembership(alice, world.room(3), 'join');
    await world.message(world.room(3), [
      { userId: '', sender: '@b:h', threadId: 'main', notify: true, highlight: false },
    ]);
    expect(sorted(await counts.ofUsers([alice]))).toEqual(world.expected(all));
    expect(world.expected(all).map((c) => c.roomId)).toContain(world.room(3));
  });

  it('matches a count of every row over random messages, late rows, receipts and memberships', async () => {
    const world = await newWorld(2);
    const next = random(19);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
    const users = [1, 2, 3].map((i) => world.user(i));
    const rooms = [0, 1].map((i) => world.room(i));
    const threads = ['main', '$t1', '$t2'];
    const kept = new UnreadCounts(db.prisma);
    for (let step = 0; step < 150; step++) {
      const roomId = pick(rooms);
      const userId = pick(users);
      const action = next();
      if (action < 0.25) {
        const highlight = next() < 0.3;
        await world.message(
          roomId,
          users
            .filter(() => next() < 0.7)
            .map((u) => ({ userId: u, threadId: pick(threads), notify: !highlight || next() < 0.5, highlight })),
        );
      } else if (action < 0.5) {
        // A shared row, and rows of their own (some saying nothing) for some members, as the push service writes.
        const threadId = pick(threads);
        const own = users.filter(() => next() < 0.3);
        await world.message(roomId, [
          { userId: '', sender: userId, threadId, notify: true, highlight: next() < 0.2 },
          ...own.map((u) => ({ userId: u, threadId, notify: next() < 0.5, highlight: next() < 0.3 })),
        ]);
      } else if (action < 0.6) {
        // Late rows are a member's own, for an event without a shared row (the push service writes an event's own
        // rows with its shared one).
        const older = world.events.filter(
          (e) =>
            e.roomId === roomId && !world.rows.some((r) => (r.userId === userId || r.userId === '') && r.pos === e.pos),
        );
        if (older.length > 0)
          await world.notify({
            userId,
            roomId,
            pos: pick(older).pos,
            threadId: pick(threads),
            notify: true,
            highlight: false,
          });
      } else if (action < 0.85) {
        const events = world.events.filter((e) => e.roomId === roomId);
        if (events.length > 0)
          await world.receipt(
            userId,
            roomId,
            pick(['m.read', 'm.read.private']),
            pick(['', ...threads]),
            pick(events).pos,
          );
      } else {
        await world.setMembership(userId, roomId, next() < 0.7 ? 'join' : 'leave');
      }
      // Some pairs are asked at each step, so kept counts of different ages meet every kind of change.
      const asked = users.flatMap((u) => rooms.map((r) => ({ userId: u, roomId: r }))).filter(() => next() < 0.5);
      expect(sorted(await kept.ofRooms(asked))).toEqual(world.expected(asked));
    }
    const all = users.flatMap((u) => rooms.map((r) => ({ userId: u, roomId: r })));
    expect(sorted(await kept.ofRooms(all))).toEqual(world.expected(all));
    expect(sorted(await new UnreadCounts(db.prisma).ofRooms(all))).toEqual(world.expected(all));
  }, 120_000);
});
