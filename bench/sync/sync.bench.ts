import { join } from 'node:path';
import { Client } from 'pg';
import { benchOption } from '../options';
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
/** `--port` moves it (and the query counter beside it) away from another run's. */
const PORT = Number(benchOption('port') ?? 19431);
const QUERY_COUNTER_PORT = PORT + 8;
const CLONE_TAG = 'bench';
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
 * on loopback, medians of several runs, each with the SQL statements it
 * took. `--keep` keeps the database the rooms were made in, and
 * `--database <url>` measures one kept before instead of making the rooms
 * again; `--cpu-prof <dir>` profiles the server.
 */
export async function run(): Promise<Record<string, number>> {
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  const reused = benchOption('database');
  if (!postgresUrl && !reused) {
    console.log('  (sync bench skipped: set LATTICE_BENCH_POSTGRES_URL; its rooms are made in Postgres directly)');
    return {};
  }
  const databaseUrl = reused ?? (await createScratchDatabase(postgresUrl!, 'lattice_bench_sync'));
  const keep = reused !== undefined || process.argv.includes('--keep');
  let target: (BenchTarget & { pid: number }) | undefined;
  try {
    if (!reused) await makeRooms(databaseUrl);
    target = await startSingleProcess(PORT, databaseUrl, serverEnv());
    return await measure(target);
  } finally {
    await target?.stop();
    if (keep) console.log(`  ... database kept for --database: ${databaseUrl}`);
    else await dropScratchDatabase(databaseUrl);
  }
}

/**
 * The server's settings: the query counter preloaded, and with
 * `--cpu-prof <dir>` a CPU profile written there when it stops
 * (open it in Chrome's DevTools or speedscope).
 */
function serverEnv(): Record<string, string> {
  const profileDir = benchOption('cpu-prof');
  const options = [
    process.env.NODE_OPTIONS ?? '',
    `--require ${join(__dirname, 'query-counter.js')}`,
    profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir}` : '',
  ];
  return {
    NODE_OPTIONS: options.filter(Boolean).join(' '),
    LATTICE_BENCH_QUERY_COUNTER_PORT: String(QUERY_COUNTER_PORT),
  };
}

/** One room of MEMBERS members and MESSAGES messages made through the API, copied ROOMS - 1 times in the database. */
async function makeRooms(databaseUrl: string): Promise<void> {
  const target = await startSingleProcess(PORT, databaseUrl);
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
      await cloneRoom(async (sql, ...params) => (await db.query(sql, params)).rows, roomId, ROOMS - 1, CLONE_TAG);
    } finally {
      await db.end();
    }
  } finally {
    // The measuring server starts afresh: it reads the positions the copies moved from the database (a running one caches them).
    await target.stop();
  }
}

async function measure(target: BenchTarget): Promise<Record<string, number>> {
  const owner = await BenchClient.login(target.url, 'owner');
  const joined = (await owner.call<{ joined_rooms: string[] }>('GET', '/joined_rooms')).joined_rooms;
  const rooms = joined.length;
  // Copies are for reading (tools/fixtures/room-clones.ts): the new messages go to the room they were made from.
  const roomId = joined.find((id) => !id.startsWith(`!${CLONE_TAG}x`))!;
  const sliding = (body: object, pos?: string) =>
    timed(target, () =>
      jsonRequest<{ pos: string; rooms: Record<string, object> }>(
        `${target.url}${SLIDING_PATH}${pos ? `?pos=${encodeURIComponent(pos)}&timeout=0` : ''}`,
        'POST',
        { authorization: `Bearer ${owner.accessToken}` },
        body,
      ),
    );

  const first: Sample[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const sample = await sliding({ ...ROOM_LIST, conn_id: `first${Date.now()}.${i}` });
    if (Object.keys(sample.value.body.rooms).length !== WINDOW)
      throw new Error(`expected ${WINDOW} rooms, got ${JSON.stringify(sample.value.body).slice(0, 300)}`);
    if (i > 0) first.push(sample);
  }
  const incremental: Sample[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const connId = `incremental${Date.now()}.${i}`;
    const start = await sliding({ ...ROOM_LIST, conn_id: connId });
    await owner.send(roomId, `inc${Date.now()}.${i}`, `incremental ${i}`);
    const sample = await sliding({ ...ROOM_LIST, conn_id: connId }, start.value.body.pos);
    if (!(roomId in sample.value.body.rooms)) throw new Error('the new message did not come');
    if (i > 0) incremental.push(sample);
  }
  const v2: Sample[] = [];
  const filter = encodeURIComponent(
    JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 10 } } }),
  );
  for (let i = 0; i < 3; i++) {
    const sample = await timed(target, () =>
      jsonRequest<{ rooms: { join: object } }>(`${target.url}/_matrix/client/v3/sync?filter=${filter}`, 'GET', {
        authorization: `Bearer ${owner.accessToken}`,
      }),
    );
    if (Object.keys(sample.value.body.rooms.join).length !== rooms)
      throw new Error('sync v2 did not return every room');
    v2.push(sample);
  }
  return {
    [`sliding sync first answer, ${WINDOW}-room window of ${rooms} rooms, ms (median of ${RUNS})`]: median(first, 'ms'),
    'sliding sync first answer, SQL statements': median(first, 'queries'),
    'sliding sync first answer, server CPU ms (mean)': mean(first, 'cpuMs'),
    [`sliding sync incremental answer after one new message, ms (median of ${RUNS})`]: median(incremental, 'ms'),
    'sliding sync incremental answer, SQL statements': median(incremental, 'queries'),
    'sliding sync incremental answer, server CPU ms (mean)': mean(incremental, 'cpuMs'),
    [`sync v2 initial sync, ${rooms} rooms, lazy-loaded members, ms (median of 3)`]: median(v2, 'ms'),
    'sync v2 initial sync, SQL statements': median(v2, 'queries'),
    'sync v2 initial sync, server CPU ms (mean)': mean(v2, 'cpuMs'),
    'RSS MiB after': Object.values(target.rss())[0] ?? 0,
  };
}

interface Sample {
  ms: number;
  /** SQL statements the server sent while answering (and any timer of its that ran meanwhile). */
  queries: number;
  /** CPU time the server used meanwhile: its work, whatever else loads the machine (counted in 10 ms ticks). */
  cpuMs: number;
}

async function timed<T>(target: BenchTarget, fn: () => Promise<T>): Promise<Sample & { value: T }> {
  const before = await statementsSoFar();
  const cpuBefore = target.cpuSeconds();
  const start = process.hrtime.bigint();
  const value = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuMs = (target.cpuSeconds() - cpuBefore) * 1000;
  return { ms, queries: (await statementsSoFar()) - before, cpuMs, value };
}

async function statementsSoFar(): Promise<number> {
  return Number(await (await fetch(`http://127.0.0.1:${QUERY_COUNTER_PORT}/`)).text());
}

/** The mean: the CPU ticks of one answer are too coarse for a median. */
function mean(samples: Sample[], of: keyof Sample): number {
  return Math.round((samples.reduce((sum, s) => sum + s[of], 0) / samples.length) * 10) / 10;
}

function median(samples: Sample[], of: keyof Sample): number {
  const sorted = samples.map((s) => s[of]).sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
}
