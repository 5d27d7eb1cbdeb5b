import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { AccountStore } from '@lattice/accounts';
import { parseConfig } from '@lattice/config';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { DATABASE, type Database } from '@lattice/storage';
import { createScratchDatabase } from '../../tools/services/scratch-servers';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';
import { percentile } from '../homeserver/client-load';
import { jsonRequest } from '../homeserver/json-http';

/** Local members of the room: the "one message in a room of 10,000 local members" (LATTICE_BENCH_PUSH_MEMBERS to change). */
const MEMBERS = Number(process.env.LATTICE_BENCH_PUSH_MEMBERS ?? 10_000);
/** Messages whose send latency is measured, at a steady rate, in each configuration. */
const LATENCY_SENDS = 40;
const LATENCY_INTERVAL_MS = 250;
const CONCURRENCY = 32;

interface Member {
  userId: string;
  token: string;
}

async function call<T>(
  server: RunningLattice,
  member: Member,
  method: string,
  path: string,
  body?: object,
): Promise<T> {
  const res = await jsonRequest<T>(
    `${server.url}/_matrix/client/v3${path}`,
    method,
    { authorization: `Bearer ${member.token}` },
    body,
  );
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function inParallel<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * A single-process server (Postgres when LATTICE_BENCH_POSTGRES_URL is set,
 * else embedded) with one room of MEMBERS local members. Accounts are made
 * through the account store (no password: hashing 10,000 of them would be
 * the whole run); every join goes through the API and the room-server.
 */
async function roomOfMembers(
  pushEnabled: boolean,
): Promise<{ server: RunningLattice; members: Member[]; roomId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-bench-push-'));
  const postgres = process.env.LATTICE_BENCH_POSTGRES_URL;
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    database: postgres
      ? { kind: 'postgres', url: await createScratchDatabase(postgres, 'lattice_bench_push') }
      : { kind: 'embedded', dataDir: join(dataDir, 'db') },
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    outbound: { allowRanges: ['127.0.0.0/8'], denyRanges: [] },
    push: { enabled: pushEnabled },
  });
  const server = await startLattice(config, { logger: false });
  const accounts = server.app.get(AccountStore);
  const members: Member[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const userId = await accounts.createUser('localhost', `member${i}`, undefined);
    members.push({ userId, token: (await accounts.startSession(userId, {})).accessToken });
  }
  const { room_id: roomId } = await call<{ room_id: string }>(server, members[0], 'POST', '/createRoom', {
    preset: 'public_chat',
  });
  await inParallel(members.slice(1), (m) => call(server, m, 'POST', `/join/${encodeURIComponent(roomId)}`, {}));
  return { server, members, roomId };
}

async function sendLatencies(server: RunningLattice, sender: Member, roomId: string, tag: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SENDS; i++) {
    const start = performance.now();
    await call(server, sender, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${tag}-${i}`, {
      msgtype: 'm.text',
      body: `${tag} ${i}`,
    });
    latencies.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, LATENCY_INTERVAL_MS));
  }
  return latencies;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Push at scale, single process: one message in a room of MEMBERS local
 * members, each with an http pusher at a recording push gateway on
 * loopback. Reports the time from the send to every member's notification
 * row (the unread counts) and to the gateway holding every push, and the
 * send latency with push against the same room with push disabled: the
 * evaluation runs off the send path, on the output stream.
 */
export async function run(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const size = `${MEMBERS.toLocaleString('en-US')} members`;

  console.log(`  ... baseline: a room of ${size}, push disabled`);
  const baseline = await roomOfMembers(false);
  try {
    const latencies = await sendLatencies(baseline.server, baseline.members[0], baseline.roomId, 'base');
    results[`push disabled: send p50 ms (${size})`] = percentile(latencies, 50);
    results[`push disabled: send p99 ms (${size})`] = percentile(latencies, 99);
  } finally {
    await baseline.server.close();
  }

  console.log(`  ... a room of ${size}, push enabled, a pusher each`);
  const gateway: TestPushGateway = await startTestPushGateway();
  const { server, members, roomId } = await roomOfMembers(true);
  try {
    const db = server.app.get<Database>(DATABASE);
    const pusher = (i: number) => ({
      kind: 'http',
      app_id: 'org.example.bench',
      app_display_name: 'Bench',
      device_display_name: 'Phone',
      pushkey: `key${i}`,
      lang: 'en',
      data: { url: gateway.url, format: 'event_id_only' },
    });
    await inParallel(
      members.slice(1).map((m, i) => [m, i] as const),
      ([m, i]) => call(server, m, 'POST', '/pushers/set', pusher(i)),
    );
    const recipients = members.length - 1;

    const start = performance.now();
    const { event_id: eventId } = await call<{ event_id: string }>(
      server,
      members[0],
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/one`,
      { msgtype: 'm.text', body: 'hello, everyone' },
    );
    const sent = performance.now();
    await until(
      'every notification row',
      async () => (await db.prisma.eventPushAction.count({ where: { eventId } })) === recipients,
    );
    const counted = performance.now();
    await until(
      'every push at the gateway',
      () => gateway.received.filter((p) => p.notification.event_id === eventId).length === recipients,
    );
    const pushed = performance.now();
    results[`one message, ${size}: send ms`] = Math.round(sent - start);
    results[`one message, ${size}: send to all notifications counted ms`] = Math.round(counted - start);
    results[`one message, ${size}: send to all pushes at the gateway ms`] = Math.round(pushed - start);
    results[`one message, ${size}: pushes per second`] = Math.round(recipients / ((pushed - counted) / 1000));

    const latencies = await sendLatencies(server, members[0], roomId, 'push');
    results[
      `push enabled: send p50 ms (${size}, every send notifying and pushing ${recipients.toLocaleString('en-US')})`
    ] = percentile(latencies, 50);
    results[`push enabled: send p99 ms (${size})`] = percentile(latencies, 99);
    results['added send latency p99 ms'] =
      Math.round(
        (results[`push enabled: send p99 ms (${size})`] - results[`push disabled: send p99 ms (${size})`]) * 10,
      ) / 10;
  } finally {
    await server.close();
    await gateway.close();
  }
  return results;
}
