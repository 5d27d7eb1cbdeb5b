import { readFileSync } from 'node:fs';
import 'reflect-metadata';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { clientRequest, registerUser, startFederatingPair, type Deployment } from './federating-pair';
import { BUS, type Bus } from '../../libs/bus/src';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader, type Pdu } from '../../libs/protocol/src';
import { buildEvent } from '../../libs/rooms/src/event-builder';
import { Keyring } from '../../libs/rooms/src/keyring';
import { loadRoomHead } from '../../libs/rooms/src/room-head';
import { DATABASE, type Database } from '../../libs/storage/src';
import { startSynapse } from '../../test/support/synapse';
import { filledSynapseRoom, synapseRequest, timeJoin, type Joiner } from './synapse-joins';

const INBOUND_PDUS = 2_000;
const PDUS_PER_TRANSACTION = 50;
const ROOM_SIZES = [1_000, 10_000];
/** Synapse rooms to join (LATTICE_BENCH_SYNAPSE_SIZES=1000,10000 by default). */
const SYNAPSE_ROOM_SIZES = (process.env.LATTICE_BENCH_SYNAPSE_SIZES ?? '1000,10000').split(',').map(Number);
/** How long one run may spend filling each Synapse room (LATTICE_BENCH_SYNAPSE_FILL_S, default 20 minutes); the next run carries on. */
const SYNAPSE_FILL_BUDGET_MS = Number(process.env.LATTICE_BENCH_SYNAPSE_FILL_S ?? 1200) * 1000;

/**
 * Federation between two deployments of this server on loopback (TLS from a
 * throwaway CA), each embedded: inbound PDUs processed per second (signed
 * events of a remote member in transactions of 50), and the time for a user
 * of one to join a room of the other with 1,000 and 10,000 members (until
 * usable, and until the full state is in: joins are partial-state). Then,
 * with a Synapse (LATTICE_SYNAPSE_PYTHON), rooms of 1,000 and 10,000 Synapse
 * users joined from this server and from a second Synapse, side by side.
 */
export async function run(): Promise<Record<string, number>> {
  const certs = makeTestCertificates();
  const [a, b] = await startFederatingPair(certs, 'lattice-bench-fed-');
  const results: Record<string, number> = {};
  try {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const bobToken = bob.access_token as string;

    // Inbound PDUs: bob (on B) joins a room on A, then B's signed events go to A in transactions.
    const roomId = (
      await clientRequest(
        a,
        'POST',
        '/_matrix/client/v3/createRoom',
        { preset: 'public_chat' },
        alice.access_token as string,
      )
    ).room_id as string;
    await clientRequest(
      b,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
      {},
      bobToken,
    );
    const key = await b.app.get(Keyring).signingKey(b.name);
    const head = (await loadRoomHead(b.app.get<Database>(DATABASE).prisma, roomId))!;
    const pdus: Pdu[] = [];
    for (let i = 0; i < INBOUND_PDUS; i++) {
      const event = buildEvent(
        head,
        bob.user_id as string,
        { type: 'm.room.message', content: { msgtype: 'm.text', body: `bench ${i}` } },
        b.name,
        key,
      );
      head.extremities = [
        { eventId: event.eventId, eventNid: 0n, depth: event.pdu.depth, sha256: event.pdu.hashes.sha256 },
      ];
      pdus.push(event.pdu);
    }
    const ca = [readFileSync(certs.caFile, 'utf8')];
    const began = performance.now();
    for (let i = 0; i < pdus.length; i += PDUS_PER_TRANSACTION) {
      const path = `/_matrix/federation/v1/send/bench-${i}`;
      const body = {
        origin: b.name,
        origin_server_ts: Date.now(),
        pdus: pdus.slice(i, i + PDUS_PER_TRANSACTION),
        edus: [],
      };
      const authorization = authorizationHeader(
        { method: 'PUT', uri: path, origin: b.name, destination: a.name, content: body as never },
        key,
      );
      const answer = await httpsJson(
        { host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' },
        'PUT',
        path,
        { ca, timeoutMs: 60_000, headers: { authorization }, body },
      );
      const refused = Object.values((answer.body as { pdus: Record<string, { error?: string }> }).pdus).filter(
        (r) => r.error,
      );
      if (answer.status !== 200 || refused.length)
        throw new Error(`inbound transaction refused: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    results[`inbound PDUs/s (signed, ${PDUS_PER_TRANSACTION} per transaction, ${INBOUND_PDUS} in all)`] = Math.round(
      INBOUND_PDUS / ((performance.now() - began) / 1000),
    );

    // Joins: rooms on A with many members (joined through the room-server directly), joined from B.
    const bus = a.app.get<Bus>(BUS);
    const latticeB = latticeJoiner(b);
    for (const size of ROOM_SIZES) {
      const big = (
        await clientRequest(
          a,
          'POST',
          '/_matrix/client/v3/createRoom',
          { preset: 'public_chat' },
          alice.access_token as string,
        )
      ).room_id as string;
      await Promise.all(
        Array.from({ length: size - 1 }, (_, i) => {
          const userId = `@member${size}-${i}:${a.name}`;
          return bus.request(
            'room.input',
            {
              kind: 'membership',
              inputId: `bench-${size}-${i}`,
              serverName: a.name,
              sender: userId,
              roomId: big,
              action: 'join',
              target: userId,
            },
            big,
          );
        }),
      );
      const { usableMs, fullMs } = await timeJoin(latticeB, big, a.name, size);
      results[
        `join of a ${size.toLocaleString('en-US')}-member room on another deployment: usable (joined, message sent), ms`
      ] = usableMs;
      results[`join of a ${size.toLocaleString('en-US')}-member room on another deployment: full state, ms`] = fullMs;
    }

    if (!process.env.LATTICE_SYNAPSE_PYTHON) {
      console.error(
        '  (joins of Synapse rooms skipped: set LATTICE_SYNAPSE_PYTHON to the python of a virtualenv with matrix-synapse)',
      );
      return results;
    }
    // Joins of rooms created on Synapse: from this server (B), and from a second Synapse as it ships (faster joins on).
    const second = await startSynapse(certs);
    try {
      const synapseJoiner: Joiner = {
        label: 'the second Synapse',
        join: async (roomId, via) => {
          const user = await second.register(`joiner${Date.now()}`);
          const joined = await synapseRequest(
            second,
            'POST',
            `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(via)}`,
            user.accessToken,
            {},
          );
          if (joined.status !== 200)
            throw new Error(`the second Synapse could not join: ${JSON.stringify(joined.body)}`);
          return user.accessToken;
        },
        request: (method, path, token, body) => synapseRequest(second, method, path, token, body),
      };
      for (const size of SYNAPSE_ROOM_SIZES) {
        const n = size.toLocaleString('en-US');
        const { synapse, roomId, members, fillMs } = await filledSynapseRoom(certs, size, SYNAPSE_FILL_BUDGET_MS);
        try {
          const m = members.toLocaleString('en-US');
          results[`Synapse room for ${n}: members joined so far (filled across runs, kept in the cache)`] = members;
          results[`Synapse room for ${n}: time spent filling it, s`] = Math.round(fillMs / 1000);
          const ours = await timeJoin(latticeB, roomId, synapse.serverName, members);
          results[`join of the ${m}-member Synapse room from this server: usable (joined, message sent), ms`] =
            ours.usableMs;
          results[`join of the ${m}-member Synapse room from this server: full state, ms`] = ours.fullMs;
          const theirs = await timeJoin(synapseJoiner, roomId, synapse.serverName, members);
          results[`join of the ${m}-member Synapse room from another Synapse (faster joins, its default): usable, ms`] =
            theirs.usableMs;
          results[
            `join of the ${m}-member Synapse room from another Synapse (faster joins, its default): full state, ms`
          ] = theirs.fullMs;
        } finally {
          await synapse.stop();
        }
      }
    } finally {
      await second.stop();
    }
  } finally {
    await a.close();
    await b.close();
  }
  return results;
}

/** A user of a deployment of this server joining rooms through other servers. */
function latticeJoiner(server: Deployment): Joiner {
  let n = 0;
  return {
    label: 'this server',
    join: async (roomId, via) => {
      const user = await registerUser(server, `joiner${n++}`);
      const joined = await clientRequest(
        server,
        'POST',
        `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(via)}`,
        {},
        user.access_token as string,
      );
      if (joined.room_id !== roomId) throw new Error(`join failed: ${JSON.stringify(joined)}`);
      return user.access_token as string;
    },
    request: async (method, path, token, body) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { host: server.name, authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}
