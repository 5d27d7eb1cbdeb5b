import { BenchClient } from '../homeserver/client-load';
import { databaseModes, percentile, timed } from './bench-server';
import { generateThreadReplies } from './generated-history';

const REPLIES = 10_000;
const PAGE = 50;

/**
 * GET /relations of a thread with REPLIES replies (generated straight into
 * the store with their event_relations rows), paged through PAGE at a time,
 * newest first and oldest first, in each database mode: p50 and p95 page time.
 */
export async function run(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const mode of databaseModes()) {
    console.log(`  ... ${mode.name}: starting`);
    const server = await mode.start();
    try {
      const alice = await BenchClient.register(server.url, 'threader');
      const roomId = await alice.createRoom([]);
      const root = await alice.send(roomId, 'root', 'thread root');
      const template = await alice.send(roomId, 'template', 'template');
      await generateThreadReplies(server.db, { eventId: template }, root, REPLIES, 'reply');
      await server.db.prisma.$executeRawUnsafe('ANALYZE');
      console.log(`  ... ${mode.name}: ${REPLIES.toLocaleString('en-US')} replies written`);
      const path = `/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(root)}/m.thread`;
      for (const dir of ['b', 'f'] as const) {
        const times: number[] = [];
        // The first pass warms caches and the JIT and is not counted.
        for (let round = 0; round < 2; round++) {
          let from: string | undefined;
          do {
            let page: { next_batch?: string; chunk: unknown[] } | undefined;
            const ms = await timed(
              async () =>
                (page = await alice.call(
                  'GET',
                  `${path}?limit=${PAGE}&dir=${dir}${from ? `&from=${encodeURIComponent(from)}` : ''}`,
                  undefined,
                  'v1',
                )),
            );
            if (round > 0) times.push(ms);
            from = page!.next_batch;
          } while (from);
        }
        results[
          `${mode.name}: /relations page of ${PAGE} (thread of ${REPLIES.toLocaleString('en-US')}, dir=${dir}) p50 ms`
        ] = percentile(times, 50);
        results[`${mode.name}: /relations page of ${PAGE} (dir=${dir}) p95 ms`] = percentile(times, 95);
      }
    } finally {
      await server.stop();
    }
  }
  return results;
}
