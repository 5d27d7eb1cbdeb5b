import { join } from 'node:path';
import { Client } from 'pg';
import { benchOption } from '../options';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { cloneRoom } from '../../tools/fixtures/room-clones';
import { BenchClient } from '../homeserver/client-load';
import { jsonRequest } from '../homeserver/json-http';
import { startSynapseOnPostgres } from '../homeserver/synapse-target';
import { startSingleProcess, type BenchTarget } from '../homeserver/targets';

const ROOMS = Number(process.env.LATTICE_BENCH_SYNC_ROOMS ?? 1_000);
/** About 0.75 GB of Postgres for 1,000 rooms of 500 members; fewer where the disk is short. */
const MEMBERS = Number(process.env.LATTICE_BENCH_SYNC_MEMBERS ?? 500);
/**
 * Synapse's rooms go through its client API, every join and message an event it persists: on the 2-core
 * machine that is tens of joins a second, so half a million would take hours. Fewer by default, and
 * Lattice is measured at that size too.
 */
const SYNAPSE_ROOMS = Number(process.env.LATTICE_BENCH_SYNC_SYNAPSE_ROOMS ?? 100);
const SYNAPSE_MEMBERS = Number(process.env.LATTICE_BENCH_SYNC_SYNAPSE_MEMBERS ?? 50);
const SERVERS = ['lattice', 'synapse'] as const;
type ServerName = (typeof SERVERS)[number];
const MESSAGES = 20;
const WINDOW = 20;
/**
 * `--pause-ms`: a pause between the new message and the incremental request, so the server's work for the
 * message that goes on after its send was answered (push evaluation, federation routing) is over, and the
 * answer is measured alone.
 */
const PAUSE_MS = Number(benchOption('pause-ms') ?? 0);
/** `--runs`: more runs steady the medians on a loaded machine. */
const RUNS = Number(benchOption('runs') ?? 5);
/** `--v2-only`: only the sync v2 initial sync, `--runs` times (a user in 10,000 rooms need not wait for the rest). */
const V2_ONLY = process.argv.includes('--v2-only');
/** `--port` moves it (and the query counter beside it) away from another run's. */
const PORT = Number(benchOption('port') ?? 19431);
const QUERY_COUNTER_PORT = PORT + 8;
const CLONE_TAG = 'bench';
const CONCURRENCY = 20;
/**
 * Synapse rooms made at once (LATTICE_BENCH_SYNC_SYNAPSE_ROOMS_AT_ONCE): joins to one room wait for each other
 * there, to different rooms they do not.
 */
const SYNAPSE_ROOMS_AT_ONCE = Number(process.env.LATTICE_BENCH_SYNC_SYNAPSE_ROOMS_AT_ONCE ?? 8);
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
 * incremental sliding sync after one new message, the user's own and
 * another member's (whose unread count the answer waits for). Lattice's rooms: one made
 * through the API, the other 999 copies made in the database
 * (tools/fixtures/room-clones.ts), which needs Postgres:
 * LATTICE_BENCH_POSTGRES_URL. LATTICE_BENCH_SYNC_ROOMS and
 * LATTICE_BENCH_SYNC_MEMBERS scale it down. Times are request round trips
 * on loopback, medians of several runs, each with the server's CPU time
 * and (Lattice) the SQL statements it took. `--keep` keeps the database
 * the rooms were made in, and `--database <url>` measures one kept before
 * instead of making the rooms again; `--cpu-prof <dir>` profiles the
 * server; `--statements` prints the SQL of the last incremental answer and initial sync;
 * `--no-push` measures Lattice without its push service; `--pause-ms`
 * waits between the new message and the incremental request; `--runs`;
 * `--v2-only` measures the sync v2 initial sync alone.
 * `--servers lattice,synapse` (the default) adds Synapse
 * (LATTICE_SYNAPSE_PYTHON, on Postgres), its rooms made through its API at
 * LATTICE_BENCH_SYNC_SYNAPSE_ROOMS x LATTICE_BENCH_SYNC_SYNAPSE_MEMBERS
 * (100 x 50 by default), and Lattice again at that size.
 */
export async function run(): Promise<Record<string, number>> {
  const wanted = (benchOption('servers') ?? SERVERS.join(',')).split(',') as ServerName[];
  const unknown = wanted.filter((s) => !SERVERS.includes(s));
  if (unknown.length) throw new Error(`unknown --servers ${unknown.join(', ')}: pick from ${SERVERS.join(', ')}`);
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  const reused = benchOption('database');
  if (!postgresUrl && !reused) {
    console.log('  (sync bench skipped: set LATTICE_BENCH_POSTGRES_URL; its rooms are made in Postgres directly)');
    return {};
  }
  const results: Record<string, number> = {};
  // Printed as each is done: a long run that fails later keeps what it measured.
  const report = (prefix: string, measured: Record<string, number>) => {
    for (const [metric, value] of Object.entries(measured)) {
      results[`${prefix}: ${metric}`] = value;
      console.log(`  ${prefix}: ${metric}: ${value.toLocaleString('en-US')}`);
    }
  };
  if (wanted.includes('lattice')) report('lattice', await lattice(postgresUrl, reused, ROOMS, MEMBERS));
  if (wanted.includes('synapse')) {
    if (!process.env.LATTICE_SYNAPSE_PYTHON || !postgresUrl) {
      console.log('  (synapse skipped: set LATTICE_SYNAPSE_PYTHON and LATTICE_BENCH_POSTGRES_URL)');
      return results;
    }
    const sameSize = SYNAPSE_ROOMS === ROOMS && SYNAPSE_MEMBERS === MEMBERS;
    if (!sameSize || !wanted.includes('lattice'))
      report(
        `lattice, ${SYNAPSE_ROOMS} rooms of ${SYNAPSE_MEMBERS}`,
        await lattice(postgresUrl, undefined, SYNAPSE_ROOMS, SYNAPSE_MEMBERS),
      );
    report(`synapse, ${SYNAPSE_ROOMS} rooms of ${SYNAPSE_MEMBERS}`, await synapse(postgresUrl));
  }
  return results;
}

async function lattice(
  postgresUrl: string | undefined,
  reused: string | undefined,
  rooms: number,
  members: number,
): Promise<Record<string, number>> {
  const databaseUrl = reused ?? (await createScratchDatabase(postgresUrl!, 'lattice_bench_sync'));
  const keep = reused !== undefined || process.argv.includes('--keep');
  let target: (BenchTarget & { pid: number }) | undefined;
  try {
    if (!reused) await makeRooms(databaseUrl, rooms, members);
    // `--no-push`: without the push service, which evaluates each new message for the room's members meanwhile.
    const config = process.argv.includes('--no-push') ? 'push: { enabled: false }\n' : '';
    target = await startSingleProcess(PORT, databaseUrl, serverEnv(), config);
    return await measure(target, await BenchClient.login(target.url, 'owner'), statementsSoFar);
  } finally {
    await target?.stop();
    if (keep) console.log(`  ... database kept for --database: ${databaseUrl}`);
    else await dropScratchDatabase(databaseUrl);
  }
}

/** Synapse on Postgres, its rooms made through its client API (so it builds its caches and tables as it runs). */
async function synapse(postgresUrl: string): Promise<Record<string, number>> {
  const { target, cleanup } = await startSynapseOnPostgres(postgresUrl, 'synapse_bench_sync');
  try {
    const owner = await populateThroughApi(target.url, SYNAPSE_ROOMS, SYNAPSE_MEMBERS);
    return await measure(target, owner);
  } finally {
    await target.stop();
    await cleanup();
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

/** One room of `members` members and MESSAGES messages made through the API, copied `rooms - 1` times in the database. */
async function makeRooms(databaseUrl: string, rooms: number, members: number): Promise<void> {
  const target = await startSingleProcess(PORT, databaseUrl);
  try {
    console.log(`  ... ${members} users, one room of ${members} members and ${MESSAGES} messages`);
    const owner = await BenchClient.register(target.url, 'owner');
    const roomId = (
      await owner.call<{ room_id: string }>('POST', '/createRoom', { preset: 'public_chat', name: 'bench room' })
    ).room_id;
    const users = await registerMembers(target.url, members);
    await joinAll(users, roomId);
    for (let i = 0; i < MESSAGES; i++) await owner.send(roomId, `m${i}`, `message ${i}`);
    console.log(`  ... copying it ${rooms - 1} times in the database`);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await cloneRoom(async (sql, ...params) => (await db.query(sql, params)).rows, roomId, rooms - 1, CLONE_TAG);
      // A deployment's statistics follow its data (autovacuum analyzes a table once a tenth of it changed); the
      // copies come faster than autovacuum's next look, and a sync planned on one room's statistics read every
      // event of 10,000 rooms for each 500 of them (1.4 s a read against 24 ms once analyzed).
      await db.query('ANALYZE');
    } finally {
      await db.end();
    }
  } finally {
    // The measuring server starts afresh: it reads the positions the copies moved from the database (a running one caches them).
    await target.stop();
  }
}

/** `rooms` rooms of `members` members (the owner and the same others in each) and MESSAGES messages each, all through the client API. */
async function populateThroughApi(url: string, rooms: number, members: number): Promise<BenchClient> {
  const began = performance.now();
  console.log(`  ... ${members} users, ${rooms} rooms of ${members} members and ${MESSAGES} messages, through the API`);
  const owner = await BenchClient.register(url, 'owner');
  const users = await registerMembers(url, members);
  console.log(`  ... ${members} users registered in ${Math.round((performance.now() - began) / 1000)} s`);
  let made = 0;
  const next = { room: 0 };
  await Promise.all(
    Array.from({ length: SYNAPSE_ROOMS_AT_ONCE }, async () => {
      while (next.room < rooms) {
        const r = next.room++;
        const roomId = (
          await owner.call<{ room_id: string }>('POST', '/createRoom', { preset: 'public_chat', name: `bench ${r}` })
        ).room_id;
        await joinAll(users, roomId, 4);
        for (let i = 0; i < MESSAGES; i++) await owner.send(roomId, `r${r}m${i}`, `message ${i}`);
        if (++made % 10 === 0)
          console.log(`  ... ${made} rooms after ${Math.round((performance.now() - began) / 1000)} s`);
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  console.log(
    `  ... populated in ${Math.round(seconds)} s: ${Math.round((rooms * (members - 1)) / seconds)} joins/s, ` +
      `${((rooms * (members - 1 + MESSAGES)) / seconds).toFixed(1)} events/s (joins and messages)`,
  );
  return owner;
}

async function registerMembers(url: string, members: number): Promise<BenchClient[]> {
  const users: BenchClient[] = [];
  for (let i = 1; i < members; i += CONCURRENCY)
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, members - i) }, (_, j) =>
          BenchClient.register(url, `member${i + j}`),
        ),
      )),
    );
  return users;
}

async function joinAll(users: BenchClient[], roomId: string, atOnce = CONCURRENCY): Promise<void> {
  for (let i = 0; i < users.length; i += atOnce)
    await Promise.all(users.slice(i, i + atOnce).map((u) => u.join(roomId)));
}

/** `statements`: the SQL statements the server has sent so far, where it is counted (Lattice). */
async function measure(
  target: BenchTarget,
  owner: BenchClient,
  statements?: () => Promise<number>,
): Promise<Record<string, number>> {
  const joined = (await owner.call<{ joined_rooms: string[] }>('GET', '/joined_rooms')).joined_rooms;
  const rooms = joined.length;
  // Copies are for reading (tools/fixtures/room-clones.ts): the new messages go to the room they were made from.
  const roomId = joined.find((id) => !id.startsWith(`!${CLONE_TAG}x`))!;
  const timedHere = <T>(fn: () => Promise<T>) => timed(target, fn, statements);
  const sliding = (body: object, pos?: string) =>
    timedHere(() =>
      jsonRequest<{ pos: string; rooms: Record<string, object> }>(
        `${target.url}${SLIDING_PATH}${pos ? `?pos=${encodeURIComponent(pos)}&timeout=0` : ''}`,
        'POST',
        { authorization: `Bearer ${owner.accessToken}` },
        body,
      ),
    );

  if (V2_ONLY) return initialSyncs(target, owner, rooms, RUNS, statements);
  const first: Sample[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const sample = await sliding({ ...ROOM_LIST, conn_id: `first${Date.now()}.${i}` });
    if (Object.keys(sample.value.body.rooms ?? {}).length !== WINDOW)
      throw new Error(`expected ${WINDOW} rooms, got ${JSON.stringify(sample.value.body).slice(0, 300)}`);
    if (i > 0) first.push(sample);
  }
  /** Incremental answers after a message of `sender`'s; `--statements` lists the SQL of the last one. */
  const incrementalAfter = async (sender: BenchClient, listed: boolean) => {
    const samples: Sample[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const connId = `incremental${Date.now()}.${i}`;
      const start = await sliding({ ...ROOM_LIST, conn_id: connId });
      await sender.send(roomId, `inc${Date.now()}.${i}`, `incremental ${i}`);
      if (PAUSE_MS > 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
      const listing = listed && statements !== undefined && i === RUNS && process.argv.includes('--statements');
      if (listing) await statementsSent();
      const sample = await sliding({ ...ROOM_LIST, conn_id: connId }, start.value.body.pos);
      if (!(roomId in (sample.value.body.rooms ?? {}))) throw new Error('the new message did not come');
      if (i > 0) samples.push(sample);
      if (listing)
        for (const s of await statementsSent())
          console.log(`  ... ${s.ms?.toFixed(2) ?? '?'} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
    return samples;
  };
  const incremental = await incrementalAfter(owner, true);
  // Another member's message: the answer waits for its push evaluation, so its unread count comes with it.
  const fromOther = await incrementalAfter(await BenchClient.login(target.url, 'member1'), false);
  const counted = statements !== undefined;
  return {
    [`sliding sync first answer, ${WINDOW}-room window of ${rooms} rooms, ms (median of ${RUNS})`]: median(first, 'ms'),
    ...(counted ? { 'sliding sync first answer, SQL statements': median(first, 'queries') } : {}),
    'sliding sync first answer, server CPU ms (mean)': mean(first, 'cpuMs'),
    [`sliding sync incremental answer after one new message, ms (median of ${RUNS})`]: median(incremental, 'ms'),
    ...(counted ? { 'sliding sync incremental answer, SQL statements': median(incremental, 'queries') } : {}),
    'sliding sync incremental answer, server CPU ms (mean)': mean(incremental, 'cpuMs'),
    [`sliding sync incremental answer after another member's message (its unread count awaited), ms (median of ${RUNS})`]:
      median(fromOther, 'ms'),
    ...(counted
      ? {
          "sliding sync incremental answer after another member's message, SQL statements": median(
            fromOther,
            'queries',
          ),
        }
      : {}),
    "sliding sync incremental answer after another member's message, server CPU ms (mean)": mean(fromOther, 'cpuMs'),
    ...(await initialSyncs(target, owner, rooms, 3, statements)),
  };
}

/** `runs` sync v2 initial syncs (lazy-loaded members, 10 events per room) of `owner`, in `rooms` rooms. */
async function initialSyncs(
  target: BenchTarget,
  owner: BenchClient,
  rooms: number,
  runs: number,
  statements?: () => Promise<number>,
): Promise<Record<string, number>> {
  const v2: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const listing = statements !== undefined && i === runs - 1 && process.argv.includes('--statements');
    if (listing) await statementsSent();
    // A filter of its own each time: Synapse answers a repeated /sync from a cache.
    const filter = encodeURIComponent(
      JSON.stringify({
        room: { state: { lazy_load_members: true }, timeline: { limit: 10 } },
        presence: { not_types: [`bench.${Date.now()}.${i}`] },
      }),
    );
    const sample = await timed(
      target,
      () =>
        jsonRequest<{ rooms: { join: object } }>(`${target.url}/_matrix/client/v3/sync?filter=${filter}`, 'GET', {
          authorization: `Bearer ${owner.accessToken}`,
        }),
      statements,
    );
    if (Object.keys(sample.value.body.rooms.join).length !== rooms)
      throw new Error('sync v2 did not return every room');
    v2.push(sample);
    if (listing)
      for (const s of await statementsSent())
        console.log(`  ... ${s.ms?.toFixed(2) ?? '?'} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  return {
    [`sync v2 initial sync, ${rooms} rooms, lazy-loaded members, ms (median of ${runs})`]: median(v2, 'ms'),
    ...(statements ? { 'sync v2 initial sync, SQL statements': median(v2, 'queries') } : {}),
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

async function timed<T>(
  target: BenchTarget,
  fn: () => Promise<T>,
  statements?: () => Promise<number>,
): Promise<Sample & { value: T }> {
  const before = (await statements?.()) ?? 0;
  const cpuBefore = target.cpuSeconds();
  const start = process.hrtime.bigint();
  const value = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuMs = (target.cpuSeconds() - cpuBefore) * 1000;
  return { ms, queries: ((await statements?.()) ?? 0) - before, cpuMs, value };
}

async function statementsSoFar(): Promise<number> {
  return Number(await (await fetch(`http://127.0.0.1:${QUERY_COUNTER_PORT}/`)).text());
}

/** The statements sent since the last time they were asked for, each with the milliseconds until its answer. */
async function statementsSent(): Promise<Array<{ sql: string; ms?: number }>> {
  return (await (await fetch(`http://127.0.0.1:${QUERY_COUNTER_PORT}/statements`)).json()) as Array<{
    sql: string;
    ms?: number;
  }>;
}

/** The mean: the CPU ticks of one answer are too coarse for a median. */
function mean(samples: Sample[], of: keyof Sample): number {
  return Math.round((samples.reduce((sum, s) => sum + s[of], 0) / samples.length) * 10) / 10;
}

function median(samples: Sample[], of: keyof Sample): number {
  const sorted = samples.map((s) => s[of]).sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
}
