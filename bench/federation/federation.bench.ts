import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { BUS, type Bus } from '../../libs/bus/src';
import { parseConfig } from '../../libs/config/src';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader, type Pdu } from '../../libs/protocol/src';
import { buildEvent } from '../../libs/room-server/src/event-builder';
import { Keyring } from '../../libs/room-server/src/keyring';
import { loadRoomHead } from '../../libs/room-server/src/storage/room-store';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { DATABASE, type Database } from '../../libs/storage/src';
import { freePort, makeTestCertificates } from '../../tools/tls/test-certificates';

const INBOUND_PDUS = 2_000;
const PDUS_PER_TRANSACTION = 50;
const ROOM_SIZES = [1_000, 10_000];

type Server = RunningLattice & { name: string; port: number };

/**
 * Federation between two deployments of this server on loopback (TLS from a
 * throwaway CA), each embedded: inbound PDUs processed per second (signed
 * events of a remote member in transactions of 50), and the time for a user
 * of one to join a room of the other with 1,000 and 10,000 members.
 */
export async function run(): Promise<Record<string, number>> {
  const certs = makeTestCertificates();
  const start = async (): Promise<Server> => {
    const port = await freePort();
    const name = `localhost:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'lattice-bench-fed-'));
    const config = parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      tenants: [{ serverName: name }],
      dataDir,
      database: { kind: 'embedded', dataDir: join(dataDir, 'db') },
      rateLimit: { perSecond: 100_000, burst: 100_000 },
      federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] },
    });
    return Object.assign(await startLattice(config, { logger: false }), { name, port });
  };
  const [a, b] = [await start(), await start()];
  const results: Record<string, number> = {};
  try {
    const client = async (server: Server, method: string, path: string, body?: object, token?: string) => {
      const response = await fetch(`${server.url}${path}`, { method, headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body && JSON.stringify(body) });
      return (await response.json()) as Record<string, unknown>;
    };
    const register = async (server: Server, username: string) =>
      client(server, 'POST', '/_matrix/client/v3/register', { username, password: 'bench password', auth: { type: 'm.login.dummy' } });
    const alice = await register(a, 'alice');
    const bob = await register(b, 'bob');
    const bobToken = bob.access_token as string;

    // Inbound PDUs: bob (on B) joins a room on A, then B's signed events go to A in transactions.
    const roomId = (await client(a, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }, alice.access_token as string)).room_id as string;
    await client(b, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`, {}, bobToken);
    const key = await b.app.get(Keyring).signingKey(b.name);
    const head = (await loadRoomHead(b.app.get<Database>(DATABASE).prisma, roomId))!;
    const pdus: Pdu[] = [];
    for (let i = 0; i < INBOUND_PDUS; i++) {
      const event = buildEvent(head, bob.user_id as string, { type: 'm.room.message', content: { msgtype: 'm.text', body: `bench ${i}` } }, b.name, key);
      head.extremities = [{ eventId: event.eventId, eventNid: 0n, depth: event.pdu.depth, sha256: event.pdu.hashes.sha256 }];
      pdus.push(event.pdu);
    }
    const ca = [readFileSync(certs.caFile, 'utf8')];
    const began = performance.now();
    for (let i = 0; i < pdus.length; i += PDUS_PER_TRANSACTION) {
      const path = `/_matrix/federation/v1/send/bench-${i}`;
      const body = { origin: b.name, origin_server_ts: Date.now(), pdus: pdus.slice(i, i + PDUS_PER_TRANSACTION), edus: [] };
      const authorization = authorizationHeader({ method: 'PUT', uri: path, origin: b.name, destination: a.name, content: body as never }, key);
      const answer = await httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, 'PUT', path, { ca, timeoutMs: 60_000, headers: { authorization }, body });
      const refused = Object.values((answer.body as { pdus: Record<string, { error?: string }> }).pdus).filter((r) => r.error);
      if (answer.status !== 200 || refused.length) throw new Error(`inbound transaction refused: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    results[`inbound PDUs/s (signed, ${PDUS_PER_TRANSACTION} per transaction, ${INBOUND_PDUS} in all)`] = Math.round(INBOUND_PDUS / ((performance.now() - began) / 1000));

    // Joins: rooms on A with many members (joined through the room-server directly), joined from B.
    const bus = a.app.get<Bus>(BUS);
    for (const size of ROOM_SIZES) {
      const big = (await client(a, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }, alice.access_token as string)).room_id as string;
      await Promise.all(
        Array.from({ length: size - 1 }, (_, i) => {
          const userId = `@member${size}-${i}:${a.name}`;
          return bus.request('room.input', { kind: 'membership', inputId: `bench-${size}-${i}`, serverName: a.name, sender: userId, roomId: big, action: 'join', target: userId }, big);
        }),
      );
      const joiner = await register(b, `joiner${size}`);
      const joinStart = performance.now();
      const joined = await client(b, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(big)}?via=${encodeURIComponent(a.name)}`, {}, joiner.access_token as string);
      if (joined.room_id !== big) throw new Error(`join failed: ${JSON.stringify(joined)}`);
      results[`join of a ${size.toLocaleString('en-US')}-member room on another deployment, ms`] = Math.round(performance.now() - joinStart);
    }
  } finally {
    await a.close();
    await b.close();
  }
  return results;
}
