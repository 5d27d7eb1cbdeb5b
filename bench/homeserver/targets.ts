import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmStartSettings, type StartSettings } from '../../tools/start/start-settings';
import { LocalDeployment, type LocalDeploymentOptions } from '../../tools/services/local-deployment';
import { createScratchDatabase, dropScratchDatabase, emptyJetStream } from '../../tools/services/scratch-servers';

/** A homeserver under load: where clients reach it and the processes whose memory counts. */
export interface BenchTarget {
  url: string;
  /** Resident set size of each process, in MiB. */
  rss(): Record<string, number>;
  /** Proportional set size of each process, in MiB: what it holds, with pages shared among processes divided between them. */
  pss(): Record<string, number>;
  /** CPU time its processes have used so far (user and system), in seconds. */
  cpuSeconds(): number;
  /** The same, each process apart (the single process is one). */
  cpuSecondsByProcess(): Record<string, number>;
  /**
   * Those of cpuSecondsByProcess's processes that can use about one core at most, however many the machine has:
   * one event loop (each Lattice process, Synapse's Python) or one thread (Redis). nginx, nats-server, Postgres and
   * the embedded single process (its database on a thread of its own) spread over cores.
   */
  oneCoreEach: string[];
  /** Its Postgres database, if it has one on a server apart. */
  databaseUrl?: string;
  stop(): Promise<void>;
}

const DIST = join(__dirname, '../..');

/** Benchmarks measure the server, not its abuse protection: a rate limit no bench client reaches; `extra`: more settings (YAML lines). */
function benchConfig(extra = ''): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lattice-bench-')), 'lattice.yaml');
  writeFileSync(path, `rateLimit: { perSecond: 100000, burst: 100000 }\n${extra}`);
  return path;
}

export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

/** Proportional set size (/proc/<pid>/smaps_rollup) in MiB; 0 once the process is gone. */
export function pssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Pss:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Every Postgres process on this machine (the postmaster, its background workers and every connection's backend)
 * with its process title (a backend's: `postgres: <user> <database> <client> <state>`).
 */
function postgresProcesses(): Array<{ pid: number; title: string }> {
  const found: Array<{ pid: number; title: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      found.push({ pid: Number(entry), title: readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
    } catch {
      // Gone between listing and reading.
    }
  }
  return found;
}

/** The proportional set size of every Postgres process, in MiB: a server's database memory when it is the only one using Postgres. */
export function postgresPssMiB(): number {
  return postgresProcesses().reduce((total, { pid }) => total + pssMiB(pid), 0);
}

/** CPU time (user and system) a process has used, in seconds; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 a second on Linux); the name (field 2) may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The processes on this machine holding a socket that listens on `port` (IPv4 or IPv6): a server's, and its worker
 * processes' where they share the listening socket (nginx). None when no such server runs here.
 */
function processesListeningOn(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // Columns: sl, local address (hex ip:port), remote address, state (0A is LISTEN), ..., inode (the tenth).
      const columns = row.trim().split(/\s+/);
      if (columns.length < 10 || columns[3] !== '0A') continue;
      if (parseInt(columns[1].split(':')[1], 16) === port) inodes.add(`socket:[${columns[9]}]`);
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fds = readdirSync(`/proc/${entry}/fd`);
      if (fds.some((fd) => inodes.has(readlinkSafe(`/proc/${entry}/fd/${fd}`)))) pids.push(Number(entry));
    } catch {
      // Gone between listing and reading.
    }
  }
  return pids;
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/**
 * How `npm start` runs the server (package.json's start script): its node flags and environment settings, so the
 * single process is measured as users run it. LATTICE_BENCH_NODE_FLAGS replaces the flags (empty: none) to measure
 * what they change.
 */
function startSettings(): StartSettings {
  const settings = npmStartSettings(join(DIST, '..'));
  const override = process.env.LATTICE_BENCH_NODE_FLAGS;
  return override !== undefined ? { ...settings, flags: override.split(' ').filter(Boolean) } : settings;
}

/**
 * The single-process server (apps/homeserver), embedded PGlite or on Postgres; `env` adds settings (LATTICE_*
 * overrides), `config` lines of its configuration file.
 */
export async function startSingleProcess(
  port: number,
  databaseUrl?: string,
  env: Record<string, string> = {},
  config = '',
): Promise<BenchTarget & { pid: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-bench-data-'));
  const start = startSettings();
  const child: ChildProcess = spawn(process.execPath, [...start.flags, join(DIST, 'apps/homeserver/src/main.js')], {
    env: {
      ...process.env,
      ...start.env,
      LATTICE_CONFIG: benchConfig(config),
      LATTICE_HOST: '127.0.0.1',
      LATTICE_PORT: String(port),
      LATTICE_DATA_DIR: dataDir,
      ...(databaseUrl ? { LATTICE_DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Its own exit is checked before the port answers: a server left on the port by an earlier run is not this one.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('the homeserver did not start');
    if (
      await fetch(`${url}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    if (i > 1200) {
      child.kill('SIGTERM');
      throw new Error('the homeserver did not start within two minutes');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    databaseUrl,
    pid: child.pid!,
    rss: () => ({ homeserver: rssMiB(child.pid) }),
    pss: () => ({ homeserver: pssMiB(child.pid) }),
    cpuSeconds: () => cpuSeconds(child.pid),
    cpuSecondsByProcess: () => ({ homeserver: cpuSeconds(child.pid) }),
    // Embedded, the database runs on a thread of the process's own (embedded-postgres.ts): two threads, two cores.
    oneCoreEach: databaseUrl ? ['homeserver'] : [],
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      // A run's embedded database is 50-300 MB: hundreds of runs left behind filled this machine's disk.
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** How many processes of an app the services deployment runs, and settings every process gets. */
export type ServicesOptions = Pick<LocalDeploymentOptions, 'replicas' | 'env'>;

/**
 * Services mode as `npm run services` runs it (nginx in front, routing by the route table), on a fresh database
 * (dropped when it stops) and an emptied bus.
 */
export async function startServices(
  port: number,
  env: BenchServers,
  options: ServicesOptions = {},
): Promise<BenchTarget> {
  await emptyJetStream(env.natsUrl);
  const databaseUrl = await createScratchDatabase(env.postgresUrl, 'lattice_bench');
  const deployment = new LocalDeployment({
    proxyPort: port,
    basePort: port + 1,
    databaseUrl,
    natsUrl: env.natsUrl,
    redisUrl: env.redisUrl,
    configFile: benchConfig(),
    distDir: DIST,
    ...options,
  });
  try {
    await deployment.start();
  } catch (e) {
    await deployment.stop();
    throw e;
  }
  // The deployment's servers count too: nginx in front, and the NATS and Redis it uses when they run on this machine
  // (a bench runs alone, so their work is this deployment's). The single process has none of them.
  const servers: Record<string, number[]> = {
    nginx: processesListeningOn(port),
    nats: processesListeningOn(Number(new URL(env.natsUrl).port || 4222)),
    redis: processesListeningOn(Number(new URL(env.redisUrl).port || 6379)),
  };
  const byProcess = () => ({
    ...Object.fromEntries(deployment.processes.map((p) => [p.name, cpuSeconds(p.child?.pid)])),
    ...Object.fromEntries(
      Object.entries(servers)
        .filter(([, pids]) => pids.length > 0)
        .map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)]),
    ),
  });
  return {
    url: deployment.url,
    databaseUrl,
    rss: () => Object.fromEntries(deployment.processes.map((p) => [p.name, rssMiB(p.child?.pid)])),
    pss: () => Object.fromEntries(deployment.processes.map((p) => [p.name, pssMiB(p.child?.pid)])),
    cpuSeconds: () => Object.values(byProcess()).reduce((a, b) => a + b, 0),
    cpuSecondsByProcess: byProcess,
    oneCoreEach: [...deployment.processes.map((p) => p.name), 'redis'],
    stop: async () => {
      await deployment.stop();
      await dropScratchDatabase(databaseUrl);
    },
  };
}

/**
 * The CPU time the Postgres backends serving one database use (a Postgres on this machine; none is found for one
 * elsewhere), from the first sample on. Backends are found by their process title (`postgres: ... <user>
 * <database> <client>`). A pool closes idle connections and its backend exits with its time, so `sample()` is
 * called often (every 200 ms): a backend keeps what it had used at its last sample; one that appears later counts
 * from its start.
 */
export class DatabaseBackendsCpu {
  private readonly used = new Map<number, { from: number; to: number }>();
  private sampled = false;

  constructor(private readonly database: string) {
    this.sample();
  }

  sample(): void {
    for (const { pid, title } of postgresProcesses()) {
      if (!title.startsWith('postgres: ') || title.split(' ')[3] !== this.database) continue;
      const seconds = cpuSeconds(pid);
      const known = this.used.get(pid);
      if (known) known.to = Math.max(known.to, seconds);
      else this.used.set(pid, { from: this.sampled ? 0 : seconds, to: seconds });
    }
    this.sampled = true;
  }

  /** Seconds used since the first sample, as of the last. */
  seconds(): number {
    return [...this.used.values()].reduce((sum, { from, to }) => sum + to - from, 0);
  }
}

export interface BenchServers {
  postgresUrl: string;
  natsUrl: string;
  redisUrl: string;
}

/** The servers services mode needs, from LATTICE_BENCH_*; undefined when not given. */
export function benchServers(): BenchServers | undefined {
  const {
    LATTICE_BENCH_POSTGRES_URL: postgresUrl,
    LATTICE_BENCH_NATS_URL: natsUrl,
    LATTICE_BENCH_REDIS_URL: redisUrl,
  } = process.env;
  return postgresUrl && natsUrl && redisUrl ? { postgresUrl, natsUrl, redisUrl } : undefined;
}
