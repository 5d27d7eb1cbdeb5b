import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, freePorts } from '../../tools/net/free-port';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { BenchClient, percentile } from '../homeserver/client-load';
import { startSynapseOnPostgres } from '../homeserver/synapse-target';
import {
  benchServers,
  DatabaseBackendsCpu,
  postgresPssMiB,
  startServices,
  startSingleProcess,
  type BenchTarget,
  type ServicesOptions,
} from '../homeserver/targets';
import { coresBusy } from '../measure';
import { benchOption } from '../options';

const USERS = 20;
const ROOMS = 5;
const MESSAGES = Number(process.env.LATTICE_BENCH_FANOUT_MESSAGES ?? 2_000);
/** Messages sent one at a time, each awaited by every member, for the CPU cost of one incremental /sync answer. */
const SINGLES = 50;
const LONG_POLL_MS = 30_000;
/** Synapse delivers ~7 events/s here: 2,000 messages took it 290-300 s on a slow hour, past a 300 s deadline. */
const DELIVERY_DEADLINE_MS = 600_000;
const SYNC_WORKERS = 2;
/** nginx and every process of the services deployment (LocalDeployment takes consecutive ports). */
const SERVICES_PORTS = 16;
type ServicesReplicas = NonNullable<ServicesOptions['replicas']>;
const SERVERS = ['lattice-pg', 'lattice-embedded', 'lattice-services', 'synapse'] as const;
type ServerName = (typeof SERVERS)[number];
const EVENTS_PER_SECOND = 'events/s (until delivered to every member)';
/**
 * PSS is read every 5th memory sample (once a second), RSS at each: reading a process's smaps_rollup walks its page
 * tables (4 ms for a services-mode process here), and read every 200 ms for the nine processes and the Postgres
 * backends of services mode it took the load client a quarter of a core, which the servers it measured lacked.
 */
const PSS_EVERY = 5;

/**
 * People chatting (issue 19): 20 users in 5 rooms, every user a member of
 * every room and long-polling /sync, while each sends its share of 2,000
 * messages one after another (round the rooms), so every message goes to
 * 19 syncing members. Per server, one after another in the same run:
 * events/s (messages over the time until the last was delivered to every
 * member), send and delivery latency percentiles, the peak RSS of the
 * server's processes (sampled; a database server apart is not counted), the
 * peak PSS of the server and its database together (every Postgres process
 * on the machine is counted: run nothing else on it meanwhile),
 * and the server's CPU time per /sync answer while messages go one at a
 * time (the send's own cost included). `--servers lattice-pg,synapse` picks
 * some of lattice-pg, lattice-embedded (`npm start`'s PGlite),
 * lattice-services (services mode: 2 sync workers) and synapse (Synapse
 * from LATTICE_SYNAPSE_PYTHON on Postgres; needs psycopg2 in its venv).
 * Postgres comes from LATTICE_BENCH_POSTGRES_URL; services mode also needs
 * LATTICE_BENCH_NATS_URL and LATTICE_BENCH_REDIS_URL. `--rounds N` runs the servers N
 * times, in turn (the order reversed every other round), and gives each
 * metric's median over the rounds and each server's events/s over
 * lattice-pg's per round (median, lowest, highest): this shared machine's
 * speed drifts by a third from one run to the next (the same code's CPU per
 * event 2.3 ms in one run and 3.2 in the next), which one run cannot tell
 * from a change.
 */
export async function run(): Promise<Record<string, number>> {
  const wanted = (benchOption('servers') ?? 'lattice-pg,lattice-embedded,synapse').split(',') as ServerName[];
  const unknown = wanted.filter((s) => !SERVERS.includes(s));
  if (unknown.length) throw new Error(`unknown --servers ${unknown.join(', ')}: pick from ${SERVERS.join(', ')}`);
  const rounds = Number(benchOption('rounds') ?? 1);
  const perRound: Array<Record<string, number>> = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`  ... round ${round} of ${rounds}`);
    perRound.push(await runServers(round % 2 === 1 ? wanted : [...wanted].reverse()));
  }
  return rounds === 1 ? perRound[0] : medians(perRound);
}

/** One run of each server, one after another. */
async function runServers(names: ServerName[]): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const name of names) {
    const started = await start(name);
    if (!started) continue;
    console.log(`  ... ${name}: ${USERS} users in ${ROOMS} rooms, ${MESSAGES} messages`);
    try {
      // Printed as each server is done: a long run that fails later keeps what it measured.
      for (const [metric, value] of Object.entries(await load(started.target, name !== 'lattice-embedded'))) {
        results[`${name}: ${metric}`] = value;
        console.log(`  ${name}: ${metric}: ${value.toLocaleString('en-US')}`);
      }
    } catch (e) {
      console.log(`  ${name} failed: ${(e as Error).stack}`);
    } finally {
      await started.target.stop();
      await started.cleanup();
    }
  }
  return results;
}

/** Each metric's median over the rounds that measured it, and each server's events/s over lattice-pg's per round. */
function medians(rounds: Array<Record<string, number>>): Record<string, number> {
  const results: Record<string, number> = {};
  for (const metric of new Set(rounds.flatMap((r) => Object.keys(r)))) {
    const values = rounds.flatMap((r) => (metric in r ? [r[metric]] : []));
    results[`${metric}, median of ${values.length}`] = percentile(values, 50);
  }
  for (const name of SERVERS.filter((s) => s !== 'lattice-pg')) {
    const ratios = rounds.flatMap((r) => {
      const [own, pg] = [r[`${name}: ${EVENTS_PER_SECOND}`], r[`lattice-pg: ${EVENTS_PER_SECOND}`]];
      return own !== undefined && pg ? [Math.round((100 * own) / pg) / 100] : [];
    });
    if (ratios.length === 0) continue;
    const label = `${name}: events/s over lattice-pg's in the same round (${ratios.join(', ')})`;
    // Not percentile(): it rounds to tenths, too coarse for a ratio held against 0.8.
    results[`${label}, median`] = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    results[`${label}, lowest`] = Math.min(...ratios);
    results[`${label}, highest`] = Math.max(...ratios);
  }
  return results;
}

async function start(name: ServerName): Promise<{ target: BenchTarget; cleanup: () => Promise<void> } | undefined> {
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  const nothing = async () => undefined;
  const env = profileEnv(name);
  if (name === 'lattice-embedded')
    return { target: await startSingleProcess(await freePort(), undefined, env), cleanup: nothing };
  if (name === 'lattice-services') {
    const servers = benchServers();
    if (!servers) return skip(name, 'LATTICE_BENCH_POSTGRES_URL, LATTICE_BENCH_NATS_URL and LATTICE_BENCH_REDIS_URL');
    const replicas = servicesReplicas();
    console.log(
      `  ... ${name}: ${Object.entries(replicas)
        .map(([app, n]) => `${n} ${app}`)
        .join(', ')}, one of each other service`,
    );
    return {
      target: await startServices(await freePorts(SERVICES_PORTS), servers, { replicas, env }),
      cleanup: nothing,
    };
  }
  if (!postgresUrl) return skip(name, 'LATTICE_BENCH_POSTGRES_URL');
  if (name === 'lattice-pg') {
    const databaseUrl = await createScratchDatabase(postgresUrl, 'lattice_bench_fanout');
    return {
      target: await startSingleProcess(await freePort(), databaseUrl, env),
      cleanup: () => dropScratchDatabase(databaseUrl),
    };
  }
  if (!process.env.LATTICE_SYNAPSE_PYTHON) return skip(name, 'LATTICE_SYNAPSE_PYTHON');
  return startSynapseOnPostgres(postgresUrl, 'synapse_bench_fanout');
}

/**
 * The services deployment's shape: as the single process composes the services, one process each, but
 * SYNC_WORKERS sync workers; `--replicas sync=1,client-api=2` changes counts.
 */
function servicesReplicas(): ServicesReplicas {
  const replicas: ServicesReplicas = { 'client-api': 1, sync: SYNC_WORKERS, push: 1 };
  for (const pair of (benchOption('replicas') ?? '').split(',').filter(Boolean)) {
    const [app, count] = pair.split('=');
    replicas[app as keyof ServicesReplicas] = Number(count);
  }
  return replicas;
}

/** `--cpu-prof <dir>`: every Lattice process writes its CPU profile under <dir>/<server> when it stops. */
function profileEnv(name: ServerName): Record<string, string> {
  const dir = benchOption('cpu-prof');
  if (!dir) return {};
  const options = [process.env.NODE_OPTIONS ?? '', `--cpu-prof --cpu-prof-dir=${join(resolve(dir), name)}`];
  return { NODE_OPTIONS: options.filter(Boolean).join(' ') };
}

function skip(name: string, needs: string): undefined {
  console.log(`  (${name} skipped: set ${needs})`);
  return undefined;
}

/**
 * Starts counting the CPU time of the server's processes (services mode: with nginx, NATS and Redis) and of its
 * Postgres backends; the function it gives stops counting and gives each one's milliseconds since, the replicas of
 * an app also summed (`sync` for sync-1 and sync-2), and the total.
 */
function cpuMeter(target: BenchTarget): () => Record<string, number> {
  const backends = target.databaseUrl && new DatabaseBackendsCpu(new URL(target.databaseUrl).pathname.slice(1));
  const sampler = backends && setInterval(() => backends.sample(), 200);
  const before = target.cpuSecondsByProcess();
  return () => {
    clearInterval(sampler);
    const after = target.cpuSecondsByProcess();
    const each = Object.keys(after).map((name) => [name, (after[name] - before[name]) * 1000] as const);
    if (backends) {
      backends.sample();
      each.push(['postgres', backends.seconds() * 1000]);
    }
    const ms: Record<string, number> = Object.fromEntries(each);
    for (const [name, used] of each) {
      const app = name.match(/^(.+)-\d+$/)?.[1];
      if (app) ms[app] = (ms[app] ?? 0) + used;
    }
    ms.total = each.reduce((sum, [, used]) => sum + used, 0);
    return ms;
  };
}

async function load(target: BenchTarget, onPostgres: boolean): Promise<Record<string, number>> {
  const tag = Date.now().toString(36);
  const users: BenchClient[] = [];
  for (let i = 0; i < USERS; i++) users.push(await BenchClient.register(target.url, `fan${tag}${i}`));
  const rooms: string[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const roomId = (await users[r].call<{ room_id: string }>('POST', '/createRoom', { preset: 'public_chat' })).room_id;
    for (const user of users) if (user !== users[r]) await user.join(roomId);
    rooms.push(roomId);
  }

  // Every message body is unique; its sending time, and a count of the members it has reached.
  const sentAt = new Map<string, number>();
  const delivered = new Map<string, number>();
  const deliveries: number[] = [];
  let answers = 0;
  let stop = false;
  let failure: Error | undefined;
  const tokens = await Promise.all(users.map((u) => u.syncToken()));
  users.forEach(
    (user, u) =>
      void user
        .follow(
          tokens[u],
          (body) => {
            const at = sentAt.get(body);
            if (at === undefined || body.startsWith(`${u} `)) return;
            deliveries.push(performance.now() - at);
            delivered.set(body, (delivered.get(body) ?? 0) + 1);
          },
          () => stop || failure !== undefined,
          { timeoutMs: LONG_POLL_MS, onAnswer: () => answers++ },
        )
        .catch((e: Error) => {
          failure = e;
        }),
  );
  let rssPeak = 0;
  let pssPeak = 0;
  const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
  let samples = 0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, sum(target.rss()));
    if (samples++ % PSS_EVERY === 0)
      pssPeak = Math.max(pssPeak, sum(target.pss()) + (onPostgres ? postgresPssMiB() : 0));
  }, 200);
  const everyoneHas = async (bodies: string[], deadline: number) => {
    while (!bodies.every((b) => delivered.get(b) === USERS - 1)) {
      if (failure) throw failure;
      if (performance.now() > deadline) throw new Error(`only ${deliveries.length} deliveries arrived in time`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    await new Promise((r) => setTimeout(r, 500));
    const sendTimes: number[] = [];
    const loadCpu = cpuMeter(target);
    const loadCores = coresBusy();
    const clientCpuBefore = process.cpuUsage();
    const loadAnswersBefore = answers;
    const began = performance.now();
    const perUser = Math.ceil(MESSAGES / USERS);
    await Promise.all(
      users.map(async (user, u) => {
        for (let k = 0; k < perUser && u * perUser + k < MESSAGES; k++) {
          const body = `${u} ${k} ${tag}`;
          const at = performance.now();
          sentAt.set(body, at);
          await user.send(rooms[(u + k) % ROOMS], `fan-${k}`, body);
          sendTimes.push(performance.now() - at);
        }
      }),
    );
    await everyoneHas([...sentAt.keys()], began + DELIVERY_DEADLINE_MS);
    const seconds = (performance.now() - began) / 1000;
    const loadDeliveries = [...deliveries];
    const loadCpuMs = loadCpu();
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const busyCores = loadCores();
    const loadAnswers = answers - loadAnswersBefore;

    const singlesCpu = cpuMeter(target);
    const answersBefore = answers;
    for (let i = 0; i < SINGLES; i++) {
      const body = `${i % USERS} single ${i} ${tag}`;
      sentAt.set(body, performance.now());
      await users[i % USERS].send(rooms[i % ROOMS], `single-${i}`, body);
      await everyoneHas([body], performance.now() + 30_000);
    }
    const singlesCpuMs = singlesCpu();
    const perEvent = (ms: number) => Math.round((ms / MESSAGES) * 100) / 100;
    const perAnswer = (ms: number) => Math.round((ms / (answers - answersBefore)) * 100) / 100;
    return {
      [EVENTS_PER_SECOND]: Math.round(MESSAGES / seconds),
      'send p50 ms': percentile(sendTimes, 50),
      'send p99 ms': percentile(sendTimes, 99),
      'delivery p50 ms': percentile(loadDeliveries, 50),
      'delivery p99 ms': percentile(loadDeliveries, 99),
      'server RSS peak MiB': rssPeak,
      'server and database PSS peak MiB': Math.round(pssPeak),
      [`server CPU ms per /sync answer (one message at a time, ${USERS} syncing members)`]: perAnswer(
        singlesCpuMs.total - (singlesCpuMs.postgres ?? 0),
      ),
      // Fewer answers, each with more events, cost less per event: a server answering slower than messages come looks cheaper.
      '/sync answers per message under load': Math.round((loadAnswers / MESSAGES) * 10) / 10,
      '/sync answers per message one at a time': Math.round(((answers - answersBefore) / SINGLES) * 10) / 10,
      ...Object.fromEntries(
        Object.entries(loadCpuMs).map(([p, ms]) => [`CPU ms per event under load, ${p}`, perEvent(ms)]),
      ),
      // What the servers did not have: the load client's share, and how much of the machine was left idle.
      'load client CPU ms per event (this process, not in the total)': perEvent(
        (clientCpu.user + clientCpu.system) / 1000,
      ),
      [`cores busy under load, every process (of ${cpus().length})`]: busyCores,
      // What more cores would give: the busiest of the processes that cannot use more than one bounds the server.
      ...(target.oneCoreEach.length > 0 && {
        'events/s with a core for each process (1,000 / the CPU ms per event of its busiest one-core process)':
          Math.round((1000 * MESSAGES) / Math.max(...target.oneCoreEach.map((p) => loadCpuMs[p] ?? 0))),
      }),
      ...Object.fromEntries(
        Object.entries(singlesCpuMs).map(([p, ms]) => [`CPU ms per /sync answer one at a time, ${p}`, perAnswer(ms)]),
      ),
    };
  } finally {
    clearInterval(sampler);
    // The long-polls end with the server's stop, their errors then only marking the run over.
    stop = true;
  }
}
