import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { jsonRequest } from '../homeserver/json-http';
import { percentile } from '../homeserver/client-load';
import { freePort } from '../../tools/net/free-port';

const ROOMS = Number(process.env.LATTICE_BENCH_AS_ROOMS ?? 1000);
const MESSAGES_PER_ROOM = 5;
const CONCURRENCY = 50;
const LATENCY_RATE = 50;
const LATENCY_SECONDS = 10;

/** The application service's side: counts transactions and notes when each bench message arrived. */
class Receiver {
  transactions = 0;
  events = 0;
  readonly arrivals = new Map<string, number>();
  private readonly seen = new Set<string>();
  private server: Server | undefined;

  constructor(private readonly hsToken: string) {}

  async listen(): Promise<number> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        if (req.headers.authorization !== `Bearer ${this.hsToken}`) {
          res.writeHead(403).end('{"errcode":"M_FORBIDDEN"}');
          return;
        }
        const txnId = req.url?.split('/').pop() ?? '';
        if (req.method === 'PUT' && req.url?.startsWith('/_matrix/app/v1/transactions/') && !this.seen.has(txnId)) {
          this.seen.add(txnId);
          this.transactions++;
          const now = Date.now();
          for (const event of (JSON.parse(text) as { events: Array<{ content?: { tag?: string } }> }).events) {
            this.events++;
            if (event.content?.tag) this.arrivals.set(event.content.tag, now);
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

/**
 * The app-service sender under load (the single process, embedded database): one service whose
 * sender is in ROOMS rooms; messages sent as fast as CONCURRENCY clients go, then the transactions
 * per second and events per transaction the service received; then messages at a steady rate and the
 * delay from each send's answer to the transaction that carried it (p50/p95/p99).
 */
export async function run(): Promise<Record<string, number>> {
  const asToken = randomBytes(16).toString('hex');
  const hsToken = randomBytes(16).toString('hex');
  const receiver = new Receiver(hsToken);
  const servicePort = await receiver.listen();
  const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-as-'));
  const registration = join(dir, 'registration.yaml');
  writeFileSync(
    registration,
    dump({
      id: 'bench',
      url: `http://127.0.0.1:${servicePort}`,
      as_token: asToken,
      hs_token: hsToken,
      sender_localpart: '_bench_bot',
      namespaces: { users: [{ exclusive: true, regex: '@_bench_.*' }], aliases: [], rooms: [] },
      rate_limited: false,
    }),
  );
  const config = join(dir, 'lattice.yaml');
  writeFileSync(
    config,
    dump({
      tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registration] }],
      rateLimit: { perSecond: 100000, burst: 100000 },
    }),
  );
  const port = await freePort();
  const server = await startHomeserver(config, join(dir, 'data'), port);
  const url = `http://127.0.0.1:${port}/_matrix/client/v3`;
  const auth = { authorization: `Bearer ${asToken}` };
  const results: Record<string, number> = {};
  try {
    console.log(`  ... creating ${ROOMS} rooms of the service's sender`);
    const rooms = await inParallel(
      ROOMS,
      async () => (await jsonRequest<{ room_id: string }>(`${url}/createRoom`, 'POST', auth, {})).body.room_id,
    );
    await settle(receiver);

    const before = { transactions: receiver.transactions, events: receiver.events };
    const total = ROOMS * MESSAGES_PER_ROOM;
    const started = Date.now();
    await inParallel(total, (i) => send(url, auth, rooms[i % ROOMS], `burst${i}`));
    const sendSeconds = (Date.now() - started) / 1000;
    while (![...Array(total).keys()].every((i) => receiver.arrivals.has(`burst${i}`))) await sleep(20);
    const seconds = (Date.now() - started) / 1000;
    const transactions = receiver.transactions - before.transactions;
    results[
      `transactions/s to one service (${ROOMS} rooms, ${total} messages from ${CONCURRENCY} concurrent senders)`
    ] = Math.round(transactions / seconds);
    results['events/s delivered to the service'] = Math.round((receiver.events - before.events) / seconds);
    results['messages/s the homeserver answered meanwhile (the ceiling)'] = Math.round(total / sendSeconds);
    results['events per transaction (mean)'] = Math.round(((receiver.events - before.events) / transactions) * 10) / 10;

    console.log(`  ... ${LATENCY_RATE} messages/s for ${LATENCY_SECONDS} s`);
    const answered = new Map<string, number>();
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < LATENCY_RATE * LATENCY_SECONDS; i++) {
      const tag = `steady${i}`;
      sends.push(send(url, auth, rooms[i % ROOMS], tag).then(() => void answered.set(tag, Date.now())));
      await sleep(1000 / LATENCY_RATE);
    }
    await Promise.all(sends);
    while (![...answered.keys()].every((tag) => receiver.arrivals.has(tag))) await sleep(20);
    const delays = [...answered].map(([tag, at]) => Math.max(0, receiver.arrivals.get(tag)! - at));
    for (const p of [50, 95, 99])
      results[`send answered -> in a transaction p${p} ms at ${LATENCY_RATE} messages/s`] = percentile(delays, p);
  } finally {
    await server.stop();
    await receiver.close();
  }
  return results;
}

async function send(url: string, auth: Record<string, string>, roomId: string, tag: string): Promise<void> {
  const answer = await jsonRequest(
    `${url}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${tag}`,
    'PUT',
    auth,
    { msgtype: 'm.text', body: tag, tag },
  );
  if (answer.status !== 200) throw new Error(`send ${tag}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Runs `count` tasks, CONCURRENCY at a time; their results in order. */
async function inParallel<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Waits until the service has received everything the room creation produced (nothing arrived for a second). */
async function settle(receiver: Receiver): Promise<void> {
  let last = -1;
  while (receiver.events !== last) {
    last = receiver.events;
    await sleep(1000);
  }
}

async function startHomeserver(config: string, dataDir: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../../apps/homeserver/src/main.js')], {
    env: {
      ...process.env,
      LATTICE_CONFIG: config,
      LATTICE_HOST: '127.0.0.1',
      LATTICE_PORT: String(port),
      LATTICE_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    if (i > 600 || child.exitCode !== null) throw new Error('the homeserver did not start');
    await sleep(100);
  }
  return {
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
