import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/net/free-port';
import { type TestCertificates } from '../../tools/tls/test-certificates';

/** A real Synapse on loopback: federation over TLS on one port, the client API over plain HTTP on another. */
export interface RunningSynapse {
  serverName: string;
  clientUrl: string;
  /** Its folder: configuration, SQLite database, keys, homeserver.log. */
  dir: string;
  /** Registers a user (open registration, m.login.dummy) and returns its ID and access token. */
  register(username: string): Promise<{ userId: string; accessToken: string }>;
  /** Its process, while it runs (benchmarks read its memory). */
  pid(): number | undefined;
  /** Starts it again after stop(), with the same database, keys and ports. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The Python of a virtualenv with matrix-synapse installed (.ci/run makes one). */
function synapsePython(): string {
  const python = process.env.LATTICE_SYNAPSE_PYTHON;
  if (!python || !existsSync(python))
    throw new Error(
      'The interop suite needs LATTICE_SYNAPSE_PYTHON: the python of a virtualenv with matrix-synapse installed (see README, "Federation interop")',
    );
  return python;
}

/** What the bench changes: a folder to keep (and find again: same ports, database and keys), and settings over the defaults. */
export interface SynapseOptions {
  dir?: string;
  config?: Record<string, unknown>;
}

/**
 * Starts Synapse with a fresh SQLite database, trusting only the test CA and
 * allowed to federate with loopback addresses (its defaults refuse them).
 * Given a `dir` it started in before, it starts again from what is there,
 * on the same ports (its server name includes the federation port).
 */
export async function startSynapse(certs: TestCertificates, options: SynapseOptions = {}): Promise<RunningSynapse> {
  const python = synapsePython();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'synapse-'));
  mkdirSync(dir, { recursive: true });
  const portsFile = join(dir, 'ports.json');
  const reused = existsSync(portsFile);
  const [federationPort, clientPort] = reused
    ? (JSON.parse(readFileSync(portsFile, 'utf8')) as number[])
    : [await freePort(), await freePort()];
  writeFileSync(portsFile, JSON.stringify([federationPort, clientPort]));
  const serverName = `localhost:${federationPort}`;
  const config = {
    server_name: serverName,
    pid_file: join(dir, 'homeserver.pid'),
    listeners: [
      {
        port: federationPort,
        tls: true,
        type: 'http',
        bind_addresses: ['127.0.0.1'],
        resources: [{ names: ['federation', 'keys'], compress: false }],
      },
      {
        port: clientPort,
        tls: false,
        type: 'http',
        bind_addresses: ['127.0.0.1'],
        resources: [{ names: ['client', 'media'], compress: false }],
      },
    ],
    tls_certificate_path: certs.certFile,
    tls_private_key_path: certs.keyFile,
    federation_verify_certificates: true,
    federation_custom_ca_list: [certs.caFile],
    ip_range_whitelist: ['127.0.0.0/8', '::1/128'],
    database: { name: 'sqlite3', args: { database: join(dir, 'homeserver.db') } },
    log_config: join(dir, 'log.yaml'),
    media_store_path: join(dir, 'media'),
    signing_key_path: join(dir, 'signing.key'),
    report_stats: false,
    enable_registration: true,
    enable_registration_without_verification: true,
    trusted_key_servers: [],
    allow_public_rooms_over_federation: true,
    room_list_publication_rules: [{ action: 'allow' }],
    suppress_key_server_warning: true,
    macaroon_secret_key: 'interop-macaroon',
    form_secret: 'interop-form',
    rc_message: { per_second: 1000, burst_count: 1000 },
    rc_registration: { per_second: 1000, burst_count: 1000 },
    rc_login: { address: { per_second: 1000, burst_count: 1000 }, account: { per_second: 1000, burst_count: 1000 } },
    rc_federation: { window_size: 1000, sleep_limit: 1000, reject_limit: 1000, concurrent: 100 },
    // Retry a destination that was down within seconds, not the default ten minutes.
    federation: {
      destination_min_retry_interval: 500,
      destination_retry_multiplier: 2,
      destination_max_retry_interval: 5000,
    },
    ...options.config,
  };
  const configFile = join(dir, 'homeserver.yaml');
  writeFileSync(configFile, JSON.stringify(config));
  writeFileSync(
    join(dir, 'log.yaml'),
    JSON.stringify({
      version: 1,
      formatters: { plain: { format: '%(asctime)s %(levelname)s %(name)s %(message)s' } },
      handlers: { file: { class: 'logging.FileHandler', filename: join(dir, 'homeserver.log'), formatter: 'plain' } },
      root: { level: 'INFO', handlers: ['file'] },
      disable_existing_loggers: false,
    }),
  );
  if (!reused)
    execFileSync(python, ['-m', 'synapse.app.homeserver', '-c', configFile, '--generate-keys'], { stdio: 'pipe' });
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const running = spawn(python, ['-m', 'synapse.app.homeserver', '-c', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = running;
    let stderr = '';
    running.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; ; i++) {
      if (
        await fetch(`${clientUrl}/_matrix/client/versions`)
          .then((r) => r.ok)
          .catch(() => false)
      )
        break;
      if (running.exitCode !== null || i > 600) throw new Error(`Synapse did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  return {
    serverName,
    clientUrl,
    dir,
    register: async (username) => {
      const response = await fetch(`${clientUrl}/_matrix/client/v3/register`, {
        method: 'POST',
        body: JSON.stringify({ username, password: 'interop password', auth: { type: 'm.login.dummy' } }),
      });
      const body = (await response.json()) as { user_id: string; access_token: string };
      if (!response.ok) throw new Error(`Synapse register ${username}: ${JSON.stringify(body)}`);
      return { userId: body.user_id, accessToken: body.access_token };
    },
    pid: () => child?.pid,
    start,
    stop: async () => {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((r) => running.once('exit', r));
      running.kill('SIGTERM');
      await exited;
    },
  };
}
