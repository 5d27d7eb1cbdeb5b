import { Client } from 'pg';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { cloneRoom } from '../../tools/fixtures/room-clones';
import { BenchClient } from '../homeserver/client-load';
import { jsonRequest } from '../homeserver/json-http';
import { startSingleProcess, type BenchTarget } from '../homeserver/targets';

const ROOMS = Number(process.env.LATTICE_BENCH_SYNC_ROOMS ?? 1_000);
/** About 0.75 GB of Postgres for 1,000 rooms of 500 members; fewer where the disk is short. */
const MEMBERS = Number(process.env.LATTICE_BENCH_SYNC_MEMBERS ?? 500);
const MESSAGES = 20;
const WINDOW = 20;
const RUNS = 5;
const PORT = 19431;
const CONCURRENCY = 20;
const SLIDING_PATH = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';

/** What Element X asks of its room list (timeline of the latest events, the state a room list row shows). */
const ROOM_LIST = {
  lists: {
    all: {
      ranges: [[0, WINDOW - 1]],
      timeline_limit: 10,
      required_state: [
        ['m.room.name', ''],
        ['m.room.avatar', ''],
        ['m.room.encryption', ''],
        ['m.room.create', ''],
        ['m.room.topic', ''],
        ['m.room.join_rules', ''],
        ['m.room.power_levels', ''],
        ['m.room.member', '$LAZY'],
        ['m.room.member', '$ME'],
      ],
    },
  },
  extensions: {
    to_device: { enabled: true },
    e2ee: { enabled: true },
    account_data: { enabled: true },
    receipts: { enabled: true },
    typing: { enabled: true },
  },
};

/**
 * Sync for a user in 1,000 rooms of 500 members and 20 events each: the
 * first simplified sliding sync answer for a 20-room window, a sync v2
 * initial sync (lazy-loaded members, 10 events per room), and an
 * incremental sliding sync after one new message. One room is made through
 * the API; the other 999 are copies made in the database
 * (tools/fixtures/room-clones.ts), which needs Postgres:
 * LATTICE_BENCH_POSTGRES_URL. LATTICE_BENCH_SYNC_ROOMS and
 * LATTICE_BENCH_SYNC_MEMBERS scale it down. Times are request round trips
 * on loopback, medians of several runs.
 */
export async function run(): Promise<Record<string, number>> {
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  if (!postgresUrl) {
    console.log('  (sync bench skipped: set LATTICE_BENCH_POSTGRES_URL; its rooms are made in Postgres directly)');
    return {};
  }
  const databaseUrl = await createScratchDatabase(postgresUrl, 'lattice_bench_sync');
  let target: BenchTarget = await startSingleProcess(PORT, databaseUrl);
  try {
    console.log(`  ... ${MEMBERS} users, one room of ${MEMBERS} members and ${MESSAGES} messages`);
    const owner = await BenchClient.register(target.url, 'owner');
    const roomId = (
      await owner.call<{ room_id: string }>('POST', '/createRoom', { preset: 'public_chat', name: 'bench room' })
    ).room_id;
    for (let i = 1; i < MEMBERS; i += CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, MEMBERS - i) }, async (_, j) => {
          const member = await BenchClient.register(target.url, `member${i + j}`);
          await member.join(roomId);
        }),
      );
    }
    for (let i = 0; i < MESSAGES; i++) await owner.send(roomId, `m${i}`, `message ${i}`);
    console.log(`  ... copying it ${ROOMS - 1} times in the database`);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await cloneRoom(async (sql, ...params) => (await db.query(sql, params)).rows, roomId, ROOMS - 1, 'bench');
    } finally {
      await db.end();
    }
    // A restart reads the positions the copies moved from the database (the process caches them).
    console.log('  ... restarting the server');
    await target.stop();
    target = await startSingleProcess(PORT, databaseUrl);
    const token = await login(target.url);
    const sliding = (body: object, pos?: string) =>
      timed(() =>
        jsonRequest<{ pos: string; rooms: object }>(
          `${target.url}${SLIDING_PATH}${pos ? `?pos=${encodeURIComponent(pos)}&timeout=0` : ''}`,
          'POST',
          { authorization: `Bearer ${token}` },
          body,
        ),
      );

    const first: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const { ms, value } = await sliding({ ...ROOM_LIST, conn_id: `first${i}` });
      if (Object.keys(value.body.rooms).length !== WINDOW)
        throw new Error(`expected ${WINDOW} rooms, got ${JSON.stringify(value.body).slice(0, 300)}`);
      if (i > 0) first.push(ms);
    }
    const incremental: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const start = await sliding({ ...ROOM_LIST, conn_id: `incremental${i}` });
      await owner.send(roomId, `inc${i}`, `incremental ${i}`);
      const { ms, value } = await sliding({ ...ROOM_LIST, conn_id: `incremental${i}` }, start.value.body.pos);
      if (!(roomId in value.body.rooms)) throw new Error('the new message did not come');
      if (i > 0) incremental.push(ms);
    }
    const v2: number[] = [];
    const filter = encodeURIComponent(
      JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 10 } } }),
    );
    for (let i = 0; i < 3; i++) {
      const { ms, value } = await timed(() =>
        jsonRequest<{ rooms: { join: object } }>(`${target.url}/_matrix/client/v3/sync?filter=${filter}`, 'GET', {
          authorization: `Bearer ${token}`,
        }),
      );
      if (Object.keys(value.body.rooms.join).length !== ROOMS) throw new Error('sync v2 did not return every room');
      v2.push(ms);
    }
    return {
      [`sliding sync first answer, ${WINDOW}-room window of ${ROOMS} rooms (${MEMBERS} members, ${MESSAGES} messages each), ms (median of ${RUNS})`]:
        median(first),
      [`sliding sync incremental answer after one new message, ms (median of ${RUNS})`]: median(incremental),
      [`sync v2 initial sync, ${ROOMS} rooms, lazy-loaded members, ms (median of 3)`]: median(v2),
      'RSS MiB after': Object.values(target.rss())[0] ?? 0,
    };
  } finally {
    await target.stop();
    await dropScratchDatabase(databaseUrl);
  }
}

async function login(url: string): Promise<string> {
  const { body } = await jsonRequest<{ access_token: string }>(
    `${url}/_matrix/client/v3/login`,
    'POST',
    {},
    { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'owner' }, password: 'bench password' },
  );
  return body.access_token;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
}
