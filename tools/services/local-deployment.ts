import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNginxConfig, type HttpService, type Upstreams } from '@lattice/routing';
import { npmStartSettings, type StartSettings } from '../start/start-settings';

/** One process of the deployment: an app and the port its HTTP listener (API or health only) takes. */
export interface ServiceProcess {
  name: string;
  app: 'client-api' | 'federation-api' | 'room-server' | 'sync' | 'media' | 'appservice' | 'push';
  port: number;
  child?: ChildProcess;
  /** Its last lines of output: what a process that exits says about why. */
  lastLines(): string[];
}

export interface LocalDeploymentOptions {
  /** Where nginx listens: the deployment's one public address. */
  proxyPort: number;
  /** First port of the services (each takes the next). */
  basePort: number;
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  serverName?: string;
  /** A configuration file every process reads (LATTICE_CONFIG); the URLs above override it. */
  configFile?: string;
  /** Where the built apps are (dist/ of this checkout). */
  distDir: string;
  /** Processes of an app other than the usual layout's count (e.g. two media replicas sharing S3 storage). */
  replicas?: Partial<Record<ServiceProcess['app'], number>>;
  /** Environment every process gets on top of this one's (e.g. LATTICE_OUTBOUND_ALLOW_RANGES for a push gateway on loopback). */
  env?: Record<string, string>;
  /**
   * Where the processes' output lines go. Without it, each process writes to a file of its own in the
   * deployment's folder rather than through a pipe this process reads: a busy deployment writes a line per
   * request, and reading them would take CPU from the load a bench runs beside it.
   */
  log?: (line: string) => void;
}

/** Lines of output kept to explain a process's exit. */
const LAST_LINES = 10;

/** The shape of the local services mode: 2 client-api, 2 sync and 2 push workers (nginx in front of the HTTP ones), one of each other service. */
const LAYOUT: Array<[ServiceProcess['app'], number]> = [
  ['room-server', 1],
  ['client-api', 2],
  ['sync', 2],
  ['federation-api', 1],
  ['media', 1],
  ['appservice', 1],
  ['push', 2],
];

/**
 * Services mode on one machine: every service its own process, against the
 * Postgres, NATS and Redis given by URL, behind a real nginx routing paths
 * with the same route table the Kubernetes Ingress is generated from. Tests
 * use it to kill and restart single processes.
 */
export class LocalDeployment {
  readonly processes: ServiceProcess[] = [];
  private nginx: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'lattice-services-'));

  constructor(private readonly options: LocalDeploymentOptions) {
    let port = options.basePort;
    for (const [app, usual] of LAYOUT) {
      const count = options.replicas?.[app] ?? usual;
      for (let i = 1; i <= count; i++)
        this.processes.push({ name: count > 1 ? `${app}-${i}` : app, app, port: port++, lastLines: () => [] });
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.proxyPort}`;
  }

  get databaseUrl(): string {
    return this.options.databaseUrl;
  }

  async start(): Promise<void> {
    for (const p of this.processes) this.launch(p);
    await Promise.all(this.processes.map((p) => this.ready(p)));
    this.startNginx();
    // An nginx that could not take its port has exited: whatever answers there is not this deployment.
    await waitFor(`nginx on ${this.url}`, () => {
      if (this.nginx?.exitCode !== null) throw new Error(`nginx exited with code ${this.nginx?.exitCode}`);
      return fetch(`${this.url}/_matrix/client/versions`).then((r) => r.ok);
    });
  }

  process(name: string): ServiceProcess {
    const found = this.processes.find((p) => p.name === name);
    if (!found) throw new Error(`No process ${name}`);
    return found;
  }

  /** Kills one process with SIGKILL: no shutdown hooks, no lease release, as if its machine died. */
  async kill(name: string): Promise<void> {
    const p = this.process(name);
    const exited = new Promise((resolve) => p.child?.once('exit', resolve));
    p.child?.kill('SIGKILL');
    await exited;
    p.child = undefined;
  }

  async restart(name: string): Promise<void> {
    const p = this.process(name);
    this.launch(p);
    await this.ready(p);
  }

  /** Stops nginx and every process, and removes the deployment's folder, their output with it: a deployment starts once. */
  async stop(): Promise<void> {
    if (this.nginx?.exitCode === null) {
      const exited = new Promise((resolve) => this.nginx!.once('exit', resolve));
      this.nginx.kill('SIGTERM');
      await exited;
    }
    await Promise.all(
      this.processes.map(async (p) => {
        if (!p.child || p.child.exitCode !== null) return;
        const exited = new Promise((resolve) => p.child!.once('exit', resolve));
        p.child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private launch(p: ServiceProcess): void {
    const start = serviceStart(this.options.distDir, p.app);
    const env = {
      ...process.env,
      ...start.env,
      LATTICE_HOST: '127.0.0.1',
      LATTICE_PORT: String(p.port),
      LATTICE_DATABASE_URL: this.options.databaseUrl,
      LATTICE_NATS_URL: this.options.natsUrl,
      LATTICE_REDIS_URL: this.options.redisUrl,
      LATTICE_SERVER_NAME: this.options.serverName ?? 'localhost',
      LATTICE_SERVICE_NAME: 'lattice',
      ...(this.options.configFile ? { LATTICE_CONFIG: this.options.configFile } : {}),
      ...this.options.env,
    };
    const { log } = this.options;
    if (!log) {
      const file = join(this.dir, `${p.name}.log`);
      const output = openSync(file, 'a');
      p.child = spawn(process.execPath, start.args, { env, stdio: ['ignore', output, output] });
      closeSync(output);
      p.lastLines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-LAST_LINES);
      return;
    }
    const child = spawn(process.execPath, start.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    p.lastLines = () => lines;
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        lines.splice(0, lines.length - LAST_LINES);
        log(`[${p.name}] ${line}`);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    p.child = child;
  }

  /** Nine processes starting at once on a busy two-core machine can take minutes: slow is not failed. */
  private ready(p: ServiceProcess): Promise<void> {
    return waitFor(
      `${p.name} on port ${p.port}`,
      () => {
        if (p.child?.exitCode !== null)
          throw new Error(`${p.name} exited with code ${p.child?.exitCode}:\n${p.lastLines().join('\n')}`);
        return fetch(`http://127.0.0.1:${p.port}/health/ready`).then((r) => r.ok);
      },
      180_000,
    );
  }

  private startNginx(): void {
    const upstreams = {} as Upstreams;
    for (const p of this.processes) {
      // None of them serves an API: they consume the bus.
      if (p.app === 'room-server' || p.app === 'appservice' || p.app === 'push') continue;
      (upstreams[p.app as HttpService] ??= []).push(`127.0.0.1:${p.port}`);
    }
    const conf = join(this.dir, 'nginx.conf');
    writeFileSync(
      conf,
      `daemon off;
worker_processes 1;
worker_rlimit_nofile 16384;
pid ${join(this.dir, 'nginx.pid')};
error_log ${join(this.dir, 'nginx-error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${this.dir}/client_body;
  proxy_temp_path ${this.dir}/proxy;
  fastcgi_temp_path ${this.dir}/fastcgi;
  uwsgi_temp_path ${this.dir}/uwsgi;
  scgi_temp_path ${this.dir}/scgi;
${renderNginxConfig(`127.0.0.1:${this.options.proxyPort}`, upstreams)}
}
`,
    );
    // Started as root, nginx runs its workers as an unprivileged user (nobody), and they write every request body
    // larger than client_body_buffer_size (16k: a /keys/upload with its one-time keys) to client_body_temp_path.
    // mkdtemp's 0700 kept them out of this directory, so nginx answered those requests 500 itself.
    chmodSync(this.dir, 0o711);
    const nginx = nginxBinary();
    this.nginx = spawn(nginx, ['-c', conf, '-p', this.dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

function nginxBinary(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  throw new Error('nginx is not installed (Debian: apt-get install nginx)');
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch((e: Error) => (e.message.includes('exited') ? Promise.reject(e) : false))) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * How a process of the deployment starts: its app's entry with the node flags and allocator settings of `npm start`,
 * as the container image starts every role (deploy/Containerfile), so services mode runs here as it is deployed.
 */
export function serviceStart(
  distDir: string,
  app: ServiceProcess['app'],
): { args: string[]; env: StartSettings['env'] } {
  const { flags, env } = npmStartSettings(join(distDir, '..'));
  return { args: [...flags, join(distDir, 'apps', app, 'src/main.js')], env };
}
