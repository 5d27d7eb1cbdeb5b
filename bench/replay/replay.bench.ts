import { Client } from 'pg';
import { startSynapse, type RunningSynapse } from '../../test/support/synapse';
import { dropScratchDatabase, createScratchDatabase } from '../../tools/services/scratch-servers';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { percentile } from '../homeserver/client-load';
import { jsonRequest } from '../homeserver/json-http';
import { cpuSeconds, rssMiB, startSingleProcess } from '../homeserver/targets';
import { castLocalpart, castName, playLines, type PlayLine } from './play';
import { readPauses, type Pauses } from './runtime-pauses';

/** Lines replayed in a full run: the length of Romeo and Juliet. LATTICE_BENCH_REPLAY_LINES shortens it. */
const FULL_PLAY = 3_300;
/** Lines each server replays before the next server takes its turn. */
const TURN = 100;
const PASSWORD = 'a balcony in Verona';

/** A server the play is replayed on: where its client API is, its memory, and how it stops. */
interface Stage {
  name: string;
  url: string;
  rss(): number;
  /** CPU time its process has used so far (a Postgres it uses is not counted), in seconds. */
  cpuSeconds(): number;
  /** Lattice's garbage collection and event-loop delays (Synapse has none to read). */
  pauses?(): Promise<Pauses>;
  stop(): Promise<void>;
}

/** What one server's replay measured. */
interface Replay {
  stage: Stage;
  roomId: string;
  tokens: Map<number, string>;
  sendMs: number[];
  /** The sends that followed another send of the same turn: all but each turn's first. */
  withinTurnMs: number[];
  registerLoginMs: number[];
  totalMs: number;
  cpuSeconds: number;
  /** The part of cpuSeconds spent while speakers registered, logged in, named themselves and joined. */
  setupCpuSeconds: number;
  /** Garbage collection during the replay's turns: pause seconds and full collections. */
  gcSeconds: number;
  majorGcs: number;
  /** The longest event-loop delay seen in any turn, in milliseconds. */
  loopMaxMs: number;
}

/**
 * The play replayed by one client at a time, as a chat of people taking
 * turns: each speaker registers, logs in, sets a display name and joins
 * the room on their first line, then every line is one send, each awaited
 * before the next. Servers take turns of TURN lines, so drift in this
 * shared machine's speed hits all of them alike. Servers: Lattice embedded,
 * Lattice on Postgres and Synapse on Postgres (both need
 * LATTICE_BENCH_POSTGRES_URL; Synapse needs LATTICE_SYNAPSE_PYTHON with
 * psycopg2); LATTICE_BENCH_REPLAY_SERVERS (e.g. `embedded,postgres`) keeps
 * those named.
 */
export async function run(): Promise<Record<string, number>> {
  const lines = playLines(Number(process.env.LATTICE_BENCH_REPLAY_LINES ?? FULL_PLAY));
  const replays: Replay[] = [];
  try {
    for (const [name, start] of stagesWanted()) {
      console.log(`  ... starting ${name}`);
      const stage = await start();
      replays.push({
        stage,
        roomId: await openingScene(stage.url),
        tokens: new Map(),
        sendMs: [],
        withinTurnMs: [],
        registerLoginMs: [],
        totalMs: 0,
        cpuSeconds: 0,
        setupCpuSeconds: 0,
        gcSeconds: 0,
        majorGcs: 0,
        loopMaxMs: 0,
      });
    }
    const run = Date.now().toString(36);
    for (let from = 0; from < lines.length; from += TURN) {
      for (const replay of replays) await perform(replay, lines.slice(from, from + TURN), run);
      if (from % (TURN * 10) === 0) console.log(`  ... line ${from + TURN} of ${lines.length}`);
    }
    const results: Record<string, number> = {};
    const synapse = replays.find((r) => r.stage.name === 'synapse postgres');
    for (const replay of replays) {
      const { stage, sendMs, withinTurnMs, registerLoginMs, totalMs, cpuSeconds, setupCpuSeconds } = replay;
      results[`${stage.name}: total s (${lines.length} serial sends, ${registerLoginMs.length} speakers)`] =
        Math.round(totalMs / 100) / 10;
      for (const p of [50, 95, 99]) results[`${stage.name}: send p${p} ms`] = percentile(sendMs, p);
      // The target for stalls: p99 at most 3x p50.
      results[`${stage.name}: send p99/p50`] =
        Math.round((10 * percentile(sendMs, 99)) / Math.max(percentile(sendMs, 50), 0.001)) / 10;
      // A turn's first send follows the other servers' turns, during which this machine idled: after 50 ms idle a
      // bare round trip to Postgres or to a Node HTTP server took 2.4x and 1.8x as long (medians), and a send is
      // four of them. The turns' first sends are 1% of all: the p99 above is theirs as much as any stall's.
      results[`${stage.name}: send p99/p50 within turns (each turn's first send left out)`] =
        Math.round((10 * percentile(withinTurnMs, 99)) / Math.max(percentile(withinTurnMs, 50), 0.001)) / 10;
      results[`${stage.name}: register+login mean ms`] = Math.round(
        registerLoginMs.reduce((a, b) => a + b, 0) / registerLoginMs.length,
      );
      // CPU time counts what the server did, not what it waited for: steadier than latency on a shared machine.
      // Work a request leaves behind (push, routing) is counted in whichever request's time it runs.
      results[`${stage.name}: server CPU ms per send (its process, not its Postgres)`] =
        Math.round((10_000 * (cpuSeconds - setupCpuSeconds)) / lines.length) / 10;
      results[`${stage.name}: server CPU ms per speaker's setup`] =
        Math.round((10_000 * setupCpuSeconds) / registerLoginMs.length) / 10;
      if (stage.pauses) {
        // Where stalls come from: a send waits out whatever holds the event loop (a collection, synchronous work).
        results[`${stage.name}: GC pause ms per line`] = Math.round((10_000 * replay.gcSeconds) / lines.length) / 10;
        results[`${stage.name}: full GCs`] = replay.majorGcs;
        results[`${stage.name}: longest event-loop delay ms`] = Math.round(replay.loopMaxMs);
      }
      results[`${stage.name}: RSS MiB at the end`] = stage.rss();
      if (synapse && stage !== synapse.stage)
        results[`${stage.name}: times faster than Synapse`] = Math.round((10 * synapse.totalMs) / totalMs) / 10;
    }
    return results;
  } finally {
    for (const { stage } of replays) await stage.stop();
  }
}

function stagesWanted(): Array<[string, () => Promise<Stage>]> {
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  const stages: Array<[string, () => Promise<Stage>]> = [['lattice embedded', () => lattice('lattice embedded')]];
  if (postgresUrl) {
    stages.push([
      'lattice postgres',
      async () => lattice('lattice postgres', await createScratchDatabase(postgresUrl, 'lattice_bench_replay')),
    ]);
    if (process.env.LATTICE_SYNAPSE_PYTHON) stages.push(['synapse postgres', () => synapseOnPostgres(postgresUrl)]);
    else console.log('  (Synapse skipped: set LATTICE_SYNAPSE_PYTHON)');
  } else {
    console.log('  (Postgres servers skipped: set LATTICE_BENCH_POSTGRES_URL)');
  }
  const wanted = process.env.LATTICE_BENCH_REPLAY_SERVERS?.split(',');
  // `postgres` is Lattice on Postgres, not Synapse on it too.
  const key = (name: string) => (name.startsWith('synapse') ? 'synapse' : name.replace('lattice ', ''));
  return wanted ? stages.filter(([name]) => wanted.includes(key(name))) : stages;
}

async function lattice(name: string, databaseUrl?: string): Promise<Stage> {
  const target = await startSingleProcess(await freePort(), databaseUrl);
  return {
    name,
    url: target.url,
    rss: () => target.rss().homeserver,
    cpuSeconds: () => target.cpuSeconds(),
    pauses: () => readPauses(target.url),
    stop: async () => {
      await target.stop();
      if (databaseUrl) await dropScratchDatabase(databaseUrl);
    },
  };
}

/** Synapse 1.163 as deployed: Postgres (a database with C collation, as it requires) and its default password hashing; only rate limits are lifted. */
async function synapseOnPostgres(postgresUrl: string): Promise<Stage> {
  const url = new URL(postgresUrl);
  const database = `synapse_bench_replay_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  await admin.end();
  const synapse: RunningSynapse = await startSynapse(makeTestCertificates(), {
    config: {
      database: {
        name: 'psycopg2',
        args: {
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          host: url.hostname,
          port: Number(url.port || 5432),
          database,
          cp_min: 1,
          cp_max: 10,
        },
      },
      rc_joins: { local: { per_second: 1000, burst_count: 1000 }, remote: { per_second: 1000, burst_count: 1000 } },
      rc_joins_per_room: { per_second: 1000, burst_count: 1000 },
    },
  });
  url.pathname = `/${database}`;
  return {
    name: 'synapse postgres',
    url: synapse.clientUrl,
    rss: () => rssMiB(synapse.pid()),
    cpuSeconds: () => cpuSeconds(synapse.pid()),
    stop: async () => {
      await synapse.stop();
      await dropScratchDatabase(url.toString());
    },
  };
}

async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: object,
): Promise<T> {
  const response = await jsonRequest<T>(
    `${baseUrl}/_matrix/client/v3${path}`,
    method,
    token ? { authorization: `Bearer ${token}` } : {},
    body,
  );
  if (response.status !== 200)
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The stage manager opens the room the play is performed in (not timed). */
async function openingScene(url: string): Promise<string> {
  const manager = await call<{ access_token: string }>(url, 'POST', '/register', undefined, {
    username: `stage_${Date.now().toString(36)}`,
    password: PASSWORD,
    auth: { type: 'm.login.dummy' },
  });
  return (
    await call<{ room_id: string }>(url, 'POST', '/createRoom', manager.access_token, {
      preset: 'public_chat',
      name: 'Verona',
    })
  ).room_id;
}

async function perform(replay: Replay, lines: PlayLine[], run: string): Promise<void> {
  const { stage, roomId, tokens } = replay;
  const began = performance.now();
  const cpuBefore = stage.cpuSeconds();
  const pausesBefore = await stage.pauses?.();
  for (const [i, line] of lines.entries()) {
    let token = tokens.get(line.speaker);
    if (token === undefined) {
      const username = castLocalpart(line.speaker, run);
      const setupCpu = stage.cpuSeconds();
      const enter = performance.now();
      const registered = await call<{ user_id: string }>(stage.url, 'POST', '/register', undefined, {
        username,
        password: PASSWORD,
        auth: { type: 'm.login.dummy' },
        inhibit_login: true,
      });
      const login = await call<{ access_token: string }>(stage.url, 'POST', '/login', undefined, {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: username },
        password: PASSWORD,
      });
      replay.registerLoginMs.push(performance.now() - enter);
      token = login.access_token;
      tokens.set(line.speaker, token);
      await call(stage.url, 'PUT', `/profile/${encodeURIComponent(registered.user_id)}/displayname`, token, {
        displayname: castName(line.speaker),
      });
      await call(stage.url, 'POST', `/join/${encodeURIComponent(roomId)}`, token, {});
      replay.setupCpuSeconds += stage.cpuSeconds() - setupCpu;
    }
    const sent = performance.now();
    await call(
      stage.url,
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${run}-${replay.sendMs.length}-${i}`,
      token,
      { msgtype: 'm.text', body: line.text },
    );
    const ms = performance.now() - sent;
    replay.sendMs.push(ms);
    if (i > 0) replay.withinTurnMs.push(ms);
  }
  replay.totalMs += performance.now() - began;
  replay.cpuSeconds += stage.cpuSeconds() - cpuBefore;
  const pausesAfter = await stage.pauses?.();
  if (pausesBefore && pausesAfter) {
    replay.gcSeconds += pausesAfter.gcSeconds - pausesBefore.gcSeconds;
    replay.majorGcs += pausesAfter.majorGcs - pausesBefore.majorGcs;
    replay.loopMaxMs = Math.max(replay.loopMaxMs, pausesAfter.loopMaxMs);
  }
}
