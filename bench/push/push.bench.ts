import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import 'reflect-metadata';
import { AccountStore } from '@lattice/accounts';
import { parseConfig } from '@lattice/config';
import { DATABASE, type Database } from '@lattice/storage';
import { registrationMac } from '../../libs/admin/src/shared-secret';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { percentile } from '../homeserver/client-load';
import { jsonRequest } from '../homeserver/json-http';
import { startSynapseOnPostgres } from '../homeserver/synapse-target';
import { Client } from 'pg';
import { benchOption } from '../options';
import { startGatewayProcess, type GatewayProcess } from './gateway-process';

/** Local members of the room: the issue's "one message in a room of 10,000 local members" (LATTICE_BENCH_PUSH_MEMBERS to change). */
const MEMBERS = Number(process.env.LATTICE_BENCH_PUSH_MEMBERS ?? 10_000);
/** Messages sent at a steady rate, each notifying every other member (LATTICE_BENCH_PUSH_MESSAGES to change). */
const SERIES = Number(process.env.LATTICE_BENCH_PUSH_MESSAGES ?? 20);
const SERIES_INTERVAL_MS = 500;
/**
 * While the series' pushes go, the sender also sends to a room of its own (no one to notify) one message after
 * another, this long apart: hundreds of sends under push load, where SERIES alone gives too few for a p99.
 */
const PROBE_INTERVAL_MS = 50;
/** Requests in flight at once while the room fills (joins of one room are ordered by the server anyway). */
const CONCURRENCY = 16;
/**
 * Accounts made at once through the account store, and pushers set at once: each is a transaction, and more wait
 * past Prisma's limit on a busy machine (16 pushers at once failed on the embedded database at a load of 14).
 */
const ACCOUNT_CONCURRENCY = 4;
const WAIT_MS = 1_200_000;
const SERVERS = ['lattice-embedded', 'lattice-pg', 'synapse'] as const;
type ServerName = (typeof SERVERS)[number];
const SHARED_SECRET = 'push bench secret';

interface Member {
  userId: string;
  token: string;
}

/** A filled room: what a later run needs to use it again. */
interface FilledRoom {
  roomId: string;
  members: Member[];
}

/**
 * LATTICE_BENCH_PUSH_KEEP=<folder>: each Lattice server's filled room is kept there (the embedded data folder;
 * on Postgres the database lattice_bench_push_kept_<members>) with its room and members' tokens
 * (<server>-<members>.json), and a later run of the same size uses it instead of filling the room again (10,000
 * joins take minutes to hours on a loaded machine). Without the file, what was kept is wiped and filled anew.
 * LATTICE_BENCH_PUSH_KEPT_DATABASE names another database for lattice-pg (a copy, so a broken run spares the original).
 */
const KEEP = process.env.LATTICE_BENCH_PUSH_KEEP;

/** A server under the push bench: where clients reach it, its CPU so far, and how it makes accounts fast. */
interface PushTarget {
  url: string;
  cpuSeconds(): number;
  /** `count` accounts with an access token each, made the quickest way the server has. */
  makeUsers(count: number): Promise<Member[]>;
  /**
   * Lattice only: whether the push service has evaluated the event (its room's evaluated position reached it, which
   * moves with the last chunk of rows), a cheap probe; the count of its rows is read once, after.
   */
  evaluated?(eventId: string): Promise<boolean>;
  /** Lattice only: the members an event's notification rows count for (their own or its shared row). */
  notifiedMembers?(eventId: string): Promise<number>;
  /** Lattice only: the same server and data started again with push disabled, for the send latency without it. */
  restartWithoutPush?(): Promise<void>;
  /** Where the filled room is kept between runs (LATTICE_BENCH_PUSH_KEEP), if it is. */
  keptRoom?: string;
  /**
   * Lattice only, for a kept room: points every pusher at this run's gateway (they name an earlier run's), and
   * leaves nothing unread or queued (as the end of a run does: see stop), in case the last run was killed.
   */
  reuseKeptRoom?(gatewayUrl: string): Promise<void>;
  /** Lattice only (in this process): database connections waited for now (Postgres; none embedded). */
  poolWaiting?(): number;
  stop(): Promise<void>;
}

async function call<T>(url: string, member: Member, method: string, path: string, body?: object): Promise<T> {
  const res = await jsonRequest<T>(
    `${url}/_matrix/client/v3${path}`,
    method,
    { authorization: `Bearer ${member.token}` },
    body,
  );
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function inParallel<T, R>(
  concurrency: number,
  items: T[],
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

function seconds(since: number): number {
  return Math.round((performance.now() - since) / 100) / 10;
}

/**
 * Push at scale (issue 15): one room of MEMBERS local members, each but the
 * sender with an http pusher (event_id_only) at the project's test push
 * gateway, run in a process of its own so its work is not the server's.
 * Per server, one after another: one message's time from send to every push
 * at the gateway (and, on Lattice, to every notification row: the unread
 * counts), then SERIES messages at a steady rate: latency from each send to
 * each push's arrival (p50, p99), pushes and messages per second, the
 * server's CPU per message and per push, and the send latency. Lattice's
 * evaluation runs off the send path, so its send latency is compared with
 * the same server and room with push disabled; Synapse evaluates on the
 * send path. `--servers` picks some of lattice-embedded (PGlite, in this
 * process: its CPU includes the bench client's few sends), lattice-pg and
 * synapse (from LATTICE_SYNAPSE_PYTHON), both on LATTICE_BENCH_POSTGRES_URL.
 * Filling the room: Lattice's accounts are made through its account store
 * (no password: hashing 10,000 would be the whole run), Synapse's by
 * shared-secret registration; the joins go through the client API.
 */
export async function run(): Promise<Record<string, number>> {
  const wanted = (benchOption('servers') ?? SERVERS.join(',')).split(',') as ServerName[];
  const unknown = wanted.filter((s) => !SERVERS.includes(s));
  if (unknown.length) throw new Error(`unknown --servers ${unknown.join(', ')}: pick from ${SERVERS.join(', ')}`);
  const results: Record<string, number> = {};
  const gateway = await startGatewayProcess();
  try {
    for (const name of wanted) {
      const target = await start(name);
      if (!target) continue;
      try {
        for (const [metric, value] of Object.entries(await measure(name, target, gateway))) {
          results[`${name}: ${metric}`] = value;
          console.log(`  ${name}: ${metric}: ${value.toLocaleString('en-US')}`);
        }
      } catch (e) {
        console.log(`  ${name} failed: ${(e as Error).stack}`);
      } finally {
        await target.stop();
      }
    }
  } finally {
    await gateway.close();
  }
  return results;
}

async function measure(name: string, target: PushTarget, gateway: GatewayProcess): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const size = `${MEMBERS.toLocaleString('en-US')} members`;
  const recipients = MEMBERS - 1;
  const filling = performance.now();
  let room: FilledRoom | undefined;
  if (target.keptRoom && existsSync(target.keptRoom)) {
    room = JSON.parse(readFileSync(target.keptRoom, 'utf8')) as FilledRoom;
    console.log(`  ... ${name}: the room of ${size} kept in ${target.keptRoom}`);
    await target.reuseKeptRoom!(gateway.url);
  }
  const reused = !!room;
  room ??= await fill(name, target, results);
  const { roomId } = room;
  const [sender, ...others] = room.members;
  if (!reused)
    await inParallel(ACCOUNT_CONCURRENCY, others, (m, i) =>
      // Again if it failed: even 4 at once timed out waiting for a transaction on the embedded database at a load
      // of 40, losing a room of 10,000 filled over half an hour; setting a pusher twice sets it once.
      retried(() =>
        call(target.url, m, 'POST', '/pushers/set', {
          kind: 'http',
          app_id: 'org.example.bench',
          app_display_name: 'Bench',
          device_display_name: 'Phone',
          pushkey: `key${i}`,
          lang: 'en',
          data: { url: gateway.url, format: 'event_id_only' },
        }),
      ),
    );
  // Kept once its pushers are set: a run that stopped before has nothing of it to reuse.
  if (!reused && target.keptRoom) writeFileSync(target.keptRoom, JSON.stringify(room));
  console.log(`  ... ${name}: room of ${size} with ${recipients} pushers ready after ${seconds(filling)} s`);
  // Transaction IDs of this run only: a kept room's sender sent the same ones in an earlier run.
  const run = Date.now().toString(36);
  const send = (txn: string, body: string) =>
    call<{ event_id: string }>(
      target.url,
      sender,
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}-${run}`,
      {
        msgtype: 'm.text',
        body,
      },
    ).then((r) => r.event_id);
  const { room_id: probeRoom } = await call<{ room_id: string }>(target.url, sender, 'POST', '/createRoom', {
    preset: 'private_chat',
  });
  const sendAlone = (txn: string) =>
    call(target.url, sender, 'PUT', `/rooms/${encodeURIComponent(probeRoom)}/send/m.room.message/${txn}-${run}`, {
      msgtype: 'm.text',
      body: 'probe',
    });
  const allPushed = async (eventIds: string[]) =>
    until('every push at the gateway', async () =>
      Object.values(await gateway.counts(eventIds)).every((count) => count >= recipients),
    );

  const start = performance.now();
  const one = await send('one', 'hello, everyone');
  const sent = performance.now();
  if (target.evaluated && target.notifiedMembers) {
    // Counting the rows while they are written would hold the embedded database (no index serves an event's rows).
    await until('the evaluation', () => target.evaluated!(one));
    results[`one message, ${size}: send to all notifications counted ms`] = Math.round(performance.now() - start);
    const notified = await target.notifiedMembers(one);
    if (notified < recipients) throw new Error(`notification rows for ${notified} of ${recipients} recipients`);
  }
  await allPushed([one]);
  results[`one message, ${size}: send ms`] = Math.round(sent - start);
  results[`one message, ${size}: send to all pushes at the gateway ms`] = Math.round(performance.now() - start);
  // Printed now as well: what is measured so far is not lost if a later step fails.
  for (const [metric, value] of Object.entries(results)) console.log(`  ... ${name}: ${metric}: ${value}`);

  console.log(`  ... ${name}: ${SERIES} messages, one every ${SERIES_INTERVAL_MS} ms`);
  const cpuBefore = target.cpuSeconds();
  const began = performance.timeOrigin + performance.now();
  const probe = probeSends(sendAlone, 'push');
  const { sentAt, latencies, waits } = await steadySends(send, 'push', target);
  await allPushed([...sentAt.keys()]);
  const cpu = target.cpuSeconds() - cpuBefore;
  const probed = await probe.stop();
  const arrivals = await gateway.arrivals([...sentAt.keys()]);
  const delays = [...sentAt].flatMap(([eventId, at]) => arrivals[eventId].map((t) => t - at));
  // Not Math.max(...): 20 messages to 10,000 members are more arguments than the stack holds.
  const last = Object.values(arrivals)
    .flat()
    .reduce((a, b) => Math.max(a, b), 0);
  const pushes = SERIES * recipients;
  results[`${SERIES} messages: send to push at the gateway p50 ms`] = percentile(delays, 50);
  results[`${SERIES} messages: send to push at the gateway p99 ms`] = percentile(delays, 99);
  results[`${SERIES} messages: pushes per second`] = Math.round(pushes / ((last - began) / 1000));
  results[`${SERIES} messages: messages per second (each pushed to all)`] =
    Math.round((SERIES / ((last - began) / 1000)) * 100) / 100;
  results[`${SERIES} messages: server CPU ms per message`] = Math.round((cpu * 1000) / SERIES);
  results[`${SERIES} messages: server CPU µs per push`] = Math.round((cpu * 1e6) / pushes);
  results[`${SERIES} messages: send p50 ms`] = percentile(latencies, 50);
  results[`${SERIES} messages: send p99 ms`] = percentile(latencies, 99);
  results[`probe (sends to a room of one while the pushes go): sends`] = probed.length;
  results[`probe (sends to a room of one while the pushes go): send p50 ms`] = percentile(probed, 50);
  results[`probe (sends to a room of one while the pushes go): send p99 ms`] = percentile(probed, 99);
  if (target.poolWaiting) {
    results[`${SERIES} messages: event loop delay p99 ms`] = waits.eventLoopP99;
    results[`${SERIES} messages: most queries waiting for a connection`] = waits.poolWaiting;
  }

  if (target.restartWithoutPush) {
    await target.restartWithoutPush();
    // As many sends as under push load: the series alone is over before a p99 means anything.
    const baseProbe = probeSends(sendAlone, 'base', probed.length);
    const { latencies: baseline, waits: baseWaits } = await steadySends(send, 'base', target);
    const baseProbed = await baseProbe.stop();
    results[`push disabled: send p50 ms`] = percentile(baseline, 50);
    results[`push disabled: send p99 ms`] = percentile(baseline, 99);
    results[`push disabled: event loop delay p99 ms`] = baseWaits.eventLoopP99;
    results[`push disabled: probe: sends`] = baseProbed.length;
    results[`push disabled: probe: send p50 ms`] = percentile(baseProbed, 50);
    results[`push disabled: probe: send p99 ms`] = percentile(baseProbed, 99);
    results[`added send latency p99 ms (the ${SERIES} messages)`] =
      Math.round((percentile(latencies, 99) - percentile(baseline, 99)) * 10) / 10;
    results['added send latency p99 ms (probe)'] =
      Math.round((percentile(probed, 99) - percentile(baseProbed, 99)) * 10) / 10;
  }
  return results;
}

/** MEMBERS accounts, the first creating a public room that the others join. */
async function fill(name: string, target: PushTarget, results: Record<string, number>): Promise<FilledRoom> {
  const filling = performance.now();
  const members = await target.makeUsers(MEMBERS);
  console.log(`  ... ${name}: ${MEMBERS} accounts in ${seconds(filling)} s`);
  const [sender, ...others] = members;
  const { room_id: roomId } = await call<{ room_id: string }>(target.url, sender, 'POST', '/createRoom', {
    preset: 'public_chat',
  });
  const joining = performance.now();
  let window = joining;
  await inParallel(CONCURRENCY, others, async (m, i) => {
    // Again if it failed (a transaction that waited too long on a loaded machine): joining twice joins once.
    await retried(() => call(target.url, m, 'POST', `/join/${encodeURIComponent(roomId)}`, {}));
    if ((i + 1) % 1000 === 0) {
      const rate = Math.round(1000 / ((performance.now() - window) / 1000));
      window = performance.now();
      console.log(
        `  ... ${name}: ${i + 1} joined (${seconds(joining)} s; the last 1,000 at ${rate}/s, load ${loadavg()[0].toFixed(1)})`,
      );
    }
  });
  results[`filling the room: joins per second`] = Math.round(others.length / ((performance.now() - joining) / 1000));
  return { roomId, members };
}

/** Sends alone, one after another PROBE_INTERVAL_MS apart, until stopped (after at least `atLeast` sends): how long each took. */
function probeSends(
  sendAlone: (txn: string) => Promise<unknown>,
  tag: string,
  atLeast = 0,
): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let stopped = false;
  const running = (async () => {
    for (let i = 0; !stopped || i < atLeast; i++) {
      const at = performance.now();
      await sendAlone(`probe-${tag}-${i}`);
      latencies.push(performance.now() - at);
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return latencies;
    },
  };
}

/**
 * SERIES messages, one every SERIES_INTERVAL_MS: when each was sent (ms since the epoch), how long each send took,
 * and what a send may have waited for meanwhile: this process's event loop (an in-process Lattice's, with the bench
 * client's) and the most queries waiting for a database connection at once.
 */
async function steadySends(
  send: (txn: string, body: string) => Promise<string>,
  tag: string,
  target: PushTarget,
): Promise<{ sentAt: Map<string, number>; latencies: number[]; waits: { eventLoopP99: number; poolWaiting: number } }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 5 });
  let poolWaiting = 0;
  const sampler = setInterval(() => (poolWaiting = Math.max(poolWaiting, target.poolWaiting?.() ?? 0)), 5);
  delay.enable();
  try {
    for (let i = 0; i < SERIES; i++) {
      const at = performance.now();
      const eventId = await send(`${tag}-${i}`, `${tag} ${i}`);
      latencies.push(performance.now() - at);
      sentAt.set(eventId, performance.timeOrigin + at);
      await new Promise((r) => setTimeout(r, SERIES_INTERVAL_MS));
    }
  } finally {
    delay.disable();
    clearInterval(sampler);
  }
  return { sentAt, latencies, waits: { eventLoopP99: Math.round(delay.percentile(99) / 1e5) / 10, poolWaiting } };
}

async function retried<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function start(name: ServerName): Promise<PushTarget | undefined> {
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  const keptRoom = KEEP && join(KEEP, `${name}-${MEMBERS}.json`);
  if (keptRoom) mkdirSync(KEEP, { recursive: true });
  const reused = !!keptRoom && existsSync(keptRoom);
  if (name === 'lattice-embedded') {
    if (!keptRoom) return startLatticeTarget({});
    const dataDir = join(KEEP, `${name}-${MEMBERS}`);
    if (!reused) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    return startLatticeTarget({ dataDir, keptRoom });
  }
  if (!postgresUrl) return skip(name, 'LATTICE_BENCH_POSTGRES_URL');
  if (name === 'lattice-pg') {
    if (!keptRoom) {
      const databaseUrl = await createScratchDatabase(postgresUrl, 'lattice_bench_push');
      return startLatticeTarget({ postgresUrl: databaseUrl, cleanup: () => dropScratchDatabase(databaseUrl) });
    }
    const databaseUrl = new URL(postgresUrl);
    databaseUrl.pathname = `/${process.env.LATTICE_BENCH_PUSH_KEPT_DATABASE ?? `lattice_bench_push_kept_${MEMBERS}`}`;
    if (!reused) await dropScratchDatabase(databaseUrl.toString());
    await createDatabaseIfMissing(databaseUrl);
    return startLatticeTarget({ postgresUrl: databaseUrl.toString(), keptRoom });
  }
  if (!process.env.LATTICE_SYNAPSE_PYTHON) return skip(name, 'LATTICE_SYNAPSE_PYTHON');
  const { target, cleanup } = await startSynapseOnPostgres(postgresUrl, 'synapse_bench_push', {
    registration_shared_secret: SHARED_SECRET,
  });
  return {
    url: target.url,
    cpuSeconds: () => target.cpuSeconds(),
    makeUsers: (count) => registerWithSharedSecret(target.url, count),
    stop: async () => {
      await target.stop();
      await cleanup();
    },
  };
}

function skip(name: string, needs: string): undefined {
  console.log(`  (${name} skipped: set ${needs})`);
  return undefined;
}

/** A kept room as freshly filled: no notification rows or queued pushes, every event evaluated. */
async function nothingUnread(prisma: Database['prisma']): Promise<void> {
  await prisma.$executeRawUnsafe(`DELETE FROM event_push_actions`);
  await prisma.$executeRawUnsafe(`DELETE FROM shared_push_actions`);
  await prisma.$executeRawUnsafe(`DELETE FROM push_outbox`);
  await prisma.$executeRawUnsafe(
    `UPDATE push_room_progress SET stream_pos = GREATEST(stream_pos, (SELECT max(stream_pos) FROM events))`,
  );
}

/** The kept database of lattice-pg, made on its first run. */
async function createDatabaseIfMissing(url: URL): Promise<void> {
  const name = url.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

/**
 * A single-process Lattice in this process (embedded, or on `postgresUrl`), with push as `npm start` has it.
 * Unless it is kept (`keptRoom`, in `dataDir`), its data and `cleanup` go when it stops.
 */
async function startLatticeTarget(options: {
  postgresUrl?: string;
  cleanup?: () => Promise<void>;
  dataDir?: string;
  keptRoom?: string;
}): Promise<PushTarget> {
  const { postgresUrl, keptRoom } = options;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lattice-bench-push-'));
  const config = (pushEnabled: boolean) =>
    parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      dataDir,
      database: postgresUrl
        ? { kind: 'postgres', url: postgresUrl }
        : { kind: 'embedded', dataDir: join(dataDir, 'db') },
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      outbound: { allowRanges: ['127.0.0.0/8'], denyRanges: [] },
      push: { enabled: pushEnabled },
    });
  let server: RunningLattice = await startLattice(config(true), { logger: ['error'] });
  const target: PushTarget = {
    get url() {
      return server.url;
    },
    cpuSeconds: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    },
    makeUsers: (count) => {
      const accounts = server.app.get(AccountStore);
      return inParallel(
        ACCOUNT_CONCURRENCY,
        Array.from({ length: count }, (_, i) => `member${i}`),
        async (localpart) => {
          const userId = await accounts.createUser('localhost', localpart, undefined);
          return { userId, token: (await accounts.startSession(userId, {})).accessToken };
        },
      );
    },
    reuseKeptRoom: async (gatewayUrl) => {
      const { prisma } = server.app.get<Database>(DATABASE);
      await prisma.$executeRawUnsafe(
        `UPDATE pushers SET data = jsonb_set(data::jsonb, '{url}', to_jsonb($1::text))::text, lease_owner = NULL, lease_until = NULL`,
        gatewayUrl,
      );
      await nothingUnread(prisma);
    },
    poolWaiting: () =>
      server.app
        .get<Database>(DATABASE)
        .poolStats()
        .reduce((sum, pool) => sum + pool.waiting, 0),
    evaluated: async (eventId) => {
      const [row] = await server.app.get<Database>(DATABASE).prisma.$queryRawUnsafe<Array<{ done: boolean }>>(
        `SELECT p.stream_pos >= e.stream_pos AS done FROM events e JOIN rooms r ON r.room_nid = e.room_nid
           JOIN push_room_progress p ON p.room_id = r.room_id WHERE e.event_id = $1`,
        eventId,
      );
      return row?.done === true;
    },
    notifiedMembers: async (eventId) => {
      const [row] = await server.app.get<Database>(DATABASE).prisma.$queryRawUnsafe<Array<{ members: number }>>(
        `SELECT count(*)::int AS members
           FROM events e JOIN current_state cs ON cs.room_nid = e.room_nid AND cs.membership = 'join'
          WHERE e.event_id = $1 AND cs.user_id <> e.sender
            AND (EXISTS (SELECT 1 FROM event_push_actions o WHERE o.user_id = cs.user_id AND o.event_id = e.event_id
                          AND (o.notify OR o.highlight))
                 OR EXISTS (SELECT 1 FROM shared_push_actions s WHERE s.event_id = e.event_id)
                    AND NOT EXISTS (SELECT 1 FROM event_push_actions o WHERE o.user_id = cs.user_id AND o.event_id = e.event_id))`,
        eventId,
      );
      return row.members;
    },
    restartWithoutPush: async () => {
      await server.close();
      server = await startLattice(config(false), { logger: ['error'] });
    },
    keptRoom,
    stop: async () => {
      if (keptRoom) {
        // The next run starts as this one did on a freshly filled room: nobody has unread notifications (each
        // run adds MEMBERS times SERIES rows, which the badge of every push counts), and what was sent with push
        // disabled is not evaluated when it starts with push enabled (its catch-up would push MEMBERS times
        // SERIES notifications nobody measures).
        await nothingUnread(server.app.get<Database>(DATABASE).prisma);
      }
      await server.close();
      if (keptRoom) return;
      rmSync(dataDir, { recursive: true, force: true });
      await options.cleanup?.();
    },
  };
  return target;
}

/** Synapse's accounts: shared-secret registration (a fresh nonce each), CONCURRENCY at a time. */
async function registerWithSharedSecret(url: string, count: number): Promise<Member[]> {
  const password = 'push bench password';
  return inParallel(
    CONCURRENCY,
    Array.from({ length: count }, (_, i) => `member${i}`),
    async (username) => {
      const endpoint = `${url}/_synapse/admin/v1/register`;
      const { body: nonce } = await jsonRequest<{ nonce: string }>(endpoint, 'GET', {});
      const mac = registrationMac(SHARED_SECRET, { nonce: nonce.nonce, username, password, admin: false });
      const res = await jsonRequest<{ user_id: string; access_token: string }>(
        endpoint,
        'POST',
        {},
        { nonce: nonce.nonce, username, password, admin: false, mac },
      );
      if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      return { userId: res.body.user_id, token: res.body.access_token };
    },
  );
}
