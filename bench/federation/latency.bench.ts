import 'reflect-metadata';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { clientRequest, registerUser, startFederatingPair } from './federating-pair';

/** Events timed per kind (LATTICE_BENCH_FED_LATENCY_N). */
const ROUNDS = Number(process.env.LATTICE_BENCH_FED_LATENCY_N ?? 30);

/**
 * How long an event sent by a user of one deployment takes to reach the
 * /sync of a user of another (federation sender, PUT /send, the receiver's
 * room-server, its sync): two embedded deployments on loopback over TLS, one
 * room, a message or a power-levels change at a time, the next sent once the
 * last has arrived. Complement's two-server tests race on this
 * (TestRestrictedRoomsLocalJoinNoCreatorsUsesPowerLevels gives it ~200 ms).
 */
export async function run(): Promise<Record<string, number>> {
  const certs = makeTestCertificates();
  const [a, b] = await startFederatingPair(certs, 'lattice-bench-fedlat-');
  try {
    const alice = await registerUser(a, 'alice');
    const bob = await registerUser(b, 'bob');
    const [aliceToken, bobToken] = [alice.access_token as string, bob.access_token as string];
    const roomId = (
      await clientRequest(a, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }, aliceToken)
    ).room_id as string;
    const room = encodeURIComponent(roomId);
    const joined = await clientRequest(
      b,
      'POST',
      `/_matrix/client/v3/join/${room}?via=${encodeURIComponent(a.name)}`,
      {},
      bobToken,
    );
    if (joined.room_id !== roomId) throw new Error(`join failed: ${JSON.stringify(joined)}`);
    let since = (await clientRequest(b, 'GET', '/_matrix/client/v3/sync?timeout=0', undefined, bobToken))
      .next_batch as string;

    /** Milliseconds from alice's send returning to the event in bob's /sync. */
    const timeOne = async (send: () => Promise<Record<string, unknown>>): Promise<number> => {
      const answer = await send();
      const eventId = answer.event_id as string;
      if (!eventId) throw new Error(`send failed: ${JSON.stringify(answer)}`);
      const sent = performance.now();
      for (;;) {
        const sync = await clientRequest(
          b,
          'GET',
          `/_matrix/client/v3/sync?timeout=10000&since=${since}`,
          undefined,
          bobToken,
        );
        since = sync.next_batch as string;
        if (JSON.stringify(sync).includes(eventId)) return performance.now() - sent;
        if (performance.now() - sent > 30_000) throw new Error(`${eventId} did not reach the other deployment`);
      }
    };
    const results: Record<string, number> = {};
    const kinds: Record<string, (i: number) => Promise<Record<string, unknown>>> = {
      message: (i) =>
        clientRequest(
          a,
          'PUT',
          `/_matrix/client/v3/rooms/${room}/send/m.room.message/lat${i}`,
          { msgtype: 'm.text', body: `${i}` },
          aliceToken,
        ),
      'power levels': (i) =>
        clientRequest(
          a,
          'PUT',
          `/_matrix/client/v3/rooms/${room}/state/m.room.power_levels/`,
          { users: { [bob.user_id as string]: i % 50 }, invite: 50 },
          aliceToken,
        ),
    };
    for (const [kind, send] of Object.entries(kinds)) {
      const times: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < ROUNDS; i++) times.push(await timeOne(() => send(i)));
      const used = process.cpuUsage(cpu);
      times.sort((x, y) => x - y);
      results[`${kind} sent on one deployment, in /sync on the other: median ms (${ROUNDS})`] = Math.round(
        times[Math.floor(times.length / 2)],
      );
      results[`${kind} sent on one deployment, in /sync on the other: p90 ms`] = Math.round(
        times[Math.floor(times.length * 0.9)],
      );
      // Both deployments run in this process: their CPU per event (send, federation both ways, both /syncs) moves
      // less with the machine's load than the times above.
      results[`${kind}: CPU of both deployments per event, ms`] =
        Math.round(((used.user + used.system) / 1000 / ROUNDS) * 10) / 10;
    }
    return results;
  } finally {
    await a.close();
    await b.close();
  }
}
