import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSynapse, type RunningSynapse } from '../../test/support/synapse';
import type { TestCertificates } from '../../tools/tls/test-certificates';

/** Filled Synapse rooms are kept here between bench runs: filling 10,000 members takes long. */
const CACHE_DIR = process.env.LATTICE_BENCH_SYNAPSE_CACHE ?? '/tmp/lattice-bench-synapse';
/** Registrations and joins in flight at once while filling. */
const FILL_CONCURRENCY = 8;

/** A server whose user joins the Synapse room: what it takes to get there, and a client request to it. */
export interface Joiner {
  label: string;
  /** Joins through `via` and answers the user's access token. */
  join(roomId: string, via: string): Promise<string>;
  request(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Only what the bench needs to change from the interop settings: cheap password hashing and no join rate limits, so 10,000 users fill a room in minutes. */
const FILL_SETTINGS = {
  bcrypt_rounds: 4,
  rc_joins: {
    local: { per_second: 100_000, burst_count: 100_000 },
    remote: { per_second: 100_000, burst_count: 100_000 },
  },
  rc_joins_per_room: { per_second: 100_000, burst_count: 100_000 },
  presence: { enabled: false },
};

/**
 * The room of up to `size` members on a Synapse (its own users, joined
 * through its client API), filled for at most `budgetMs`: filling is slow on
 * a small machine, so the room is kept (CACHE_DIR) with how many have joined
 * and how long that took, and the next run carries on from there. Answers
 * the running Synapse, the room, its members so far and the fill time.
 */
export async function filledSynapseRoom(
  certs: TestCertificates,
  size: number,
  budgetMs: number,
): Promise<{ synapse: RunningSynapse; roomId: string; members: number; fillMs: number }> {
  const dir = join(CACHE_DIR, `room-${size}`);
  const roomFile = join(dir, 'room.json');
  // A fill that never recorded its room left users behind that would collide: start that one over.
  if (!existsSync(roomFile)) rmSync(dir, { recursive: true, force: true });
  const synapse = await startSynapse(certs, { dir, config: FILL_SETTINGS });
  let saved: { roomId: string; members: number; fillMs: number };
  if (existsSync(roomFile)) {
    saved = JSON.parse(readFileSync(roomFile, 'utf8')) as typeof saved;
  } else {
    const owner = await synapse.register('owner');
    const created = await synapseRequest(synapse, 'POST', '/_matrix/client/v3/createRoom', owner.accessToken, {
      preset: 'public_chat',
      name: `Bench ${size}`,
    });
    saved = { roomId: created.body.room_id as string, members: 1, fillMs: 0 };
    writeFileSync(roomFile, JSON.stringify(saved));
  }
  const began = performance.now();
  const filledBefore = saved.fillMs;
  // Names carry the run, so a user registered by an interrupted run does not collide.
  const run = Date.now().toString(36);
  let next = saved.members;
  await Promise.all(
    Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < size && performance.now() - began < budgetMs) {
        const i = next++;
        const member = await synapse.register(`member${i}-${run}`);
        const joined = await synapseRequest(
          synapse,
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(saved.roomId)}`,
          member.accessToken,
          {},
        );
        if (joined.status !== 200) throw new Error(`member${i} could not join: ${JSON.stringify(joined.body)}`);
        saved.members++;
        saved.fillMs = filledBefore + Math.round(performance.now() - began);
        if (saved.members % 100 === 0) {
          writeFileSync(roomFile, JSON.stringify(saved));
          console.error(
            `  filling the Synapse room of ${size}: ${saved.members} members after ${Math.round(saved.fillMs / 1000)} s`,
          );
        }
      }
    }),
  );
  writeFileSync(roomFile, JSON.stringify(saved));
  return { synapse, roomId: saved.roomId, members: saved.members, fillMs: saved.fillMs };
}

/**
 * One user of `joiner` joins the room: "usable" is the join answered and a
 * message accepted; "full state" is /joined_members answering with every
 * member (Synapse and this server both make it wait for the full state of a
 * partial-state room). The user leaves afterwards, so a cached room keeps its size.
 */
export async function timeJoin(
  joiner: Joiner,
  roomId: string,
  via: string,
  members: number,
): Promise<{ usableMs: number; fullMs: number }> {
  const began = performance.now();
  const token = await joiner.join(roomId, via);
  const room = encodeURIComponent(roomId);
  const sent = await joiner.request(
    'PUT',
    `/_matrix/client/v3/rooms/${room}/send/m.room.message/bench-${Date.now()}`,
    token,
    { msgtype: 'm.text', body: 'usable' },
  );
  if (sent.status !== 200)
    throw new Error(`${joiner.label} could not send after joining: ${JSON.stringify(sent.body)}`);
  const usableMs = Math.round(performance.now() - began);
  const list = await joiner.request('GET', `/_matrix/client/v3/rooms/${room}/joined_members`, token);
  const count = Object.keys((list.body.joined as object) ?? {}).length;
  if (count < members + 1)
    throw new Error(
      `${joiner.label} sees ${count} members, not ${members + 1}: ${JSON.stringify(list.body).slice(0, 300)}`,
    );
  const fullMs = Math.round(performance.now() - began);
  await joiner.request('POST', `/_matrix/client/v3/rooms/${room}/leave`, token, {});
  return { usableMs, fullMs };
}

export async function synapseRequest(
  synapse: RunningSynapse,
  method: string,
  path: string,
  token: string,
  body?: unknown,
) {
  const response = await fetch(`${synapse.clientUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
