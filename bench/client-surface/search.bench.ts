import { BenchClient } from '../homeserver/client-load';
import { databaseModes, percentile, timed, type BenchServer } from './bench-server';
import { generateMessages } from './generated-history';

/** Messages generated (LATTICE_BENCH_SEARCH_MESSAGES, default 1,000,000). */
const MESSAGES = Number(process.env.LATTICE_BENCH_SEARCH_MESSAGES ?? 1_000_000);
const ROOMS = 50;
/** Rooms the searcher is joined to: a search looks in these only. */
const JOINED = 10;
const BATCH = 25_000;
const VOCABULARY = 20_000;
const REPEATS = 3;

/** Deterministic made-up words, so the frequency of each is known by its index (generateMessages skews towards low indexes). */
function vocabulary(): string[] {
  const syllables = [
    'ka',
    'lo',
    'mi',
    'tre',
    'vu',
    'sen',
    'dor',
    'pa',
    'qui',
    'zel',
    'ban',
    'rio',
    'fu',
    'ghe',
    'nox',
    'wa',
    'yel',
    'cri',
    'sto',
    'lum',
  ];
  return Array.from(
    { length: VOCABULARY },
    (_, i) => `${syllables[i % 20]}${syllables[Math.floor(i / 20) % 20]}${syllables[Math.floor(i / 400) % 20]}x`,
  );
}

/**
 * POST /search over generated history, in each database mode: MESSAGES
 * messages over ROOMS rooms (written straight into the store, indexed by
 * the same triggers as any event), searched by a user joined to JOINED of
 * them. Queries of words of every frequency, from one in several messages
 * to one in thousands, each ordered by rank and by recency; p50 and p95
 * over all queries, and p95 of the most frequent words alone.
 */
export async function run(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const words = vocabulary();
  for (const mode of databaseModes()) {
    console.log(`  ... ${mode.name}: starting`);
    const server = await mode.start();
    try {
      const searcher = await populate(server, words);
      const queries = [
        ...[0, 1, 2].map((i) => ({ term: words[i], frequent: true })),
        ...[50, 51, 52, 500, 501, 502, 5000, 5001, 5002, 15_000].map((i) => ({ term: words[i], frequent: false })),
        { term: `${words[3]} ${words[700]}`, frequent: false },
      ];
      const probe = await searcher.call<{ search_categories: { room_events: { count: number } } }>('POST', '/search', {
        search_categories: { room_events: { search_term: words[0] } },
      });
      const matches = probe.search_categories.room_events.count;
      if (matches === 0)
        throw new Error('the generated messages were not indexed: the most frequent word matches nothing');
      results[`${mode.name}: messages the most frequent word matches in the searcher's rooms`] = matches;
      for (const order of ['rank', 'recent'] as const) {
        const all: number[] = [];
        const frequent: number[] = [];
        for (let round = 0; round <= REPEATS; round++) {
          for (const { term, frequent: isFrequent } of queries) {
            const ms = await timed(() =>
              searcher.call('POST', '/search', {
                search_categories: { room_events: { search_term: term, order_by: order } },
              }),
            );
            // The first round warms caches and the JIT; it is not counted.
            if (round === 0) continue;
            all.push(ms);
            if (isFrequent) frequent.push(ms);
          }
        }
        results[`${mode.name}: search order_by ${order} p50 ms (${MESSAGES.toLocaleString('en-US')} messages)`] =
          percentile(all, 50);
        results[`${mode.name}: search order_by ${order} p95 ms`] = percentile(all, 95);
        results[`${mode.name}: search order_by ${order} p95 ms, most frequent words only`] = percentile(frequent, 95);
      }
    } finally {
      await server.stop();
    }
  }
  return results;
}

/** The searcher of generated history, written now or, on a kept data folder (LATTICE_BENCH_KEEP_DATA), by an earlier run of the same size. */
async function populate(server: BenchServer, words: string[]): Promise<BenchClient> {
  const key = `search-${MESSAGES}`;
  if (server.filled(key)) {
    console.log(`  ... ${server.name}: reusing ${MESSAGES.toLocaleString('en-US')} messages written by an earlier run`);
    return BenchClient.login(server.url, 'searcher');
  }
  const searcher = await BenchClient.register(server.url, 'searcher');
  const owner = await BenchClient.register(server.url, 'owner');
  const templates: string[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const roomId = await owner.createRoom(r < JOINED ? [searcher.userId] : []);
    if (r < JOINED) await searcher.join(roomId);
    templates.push(await owner.send(roomId, `template-${r}`, 'template message'));
  }
  const started = performance.now();
  const perRoom = Math.ceil(MESSAGES / ROOMS);
  for (let written = 0; written < MESSAGES;) {
    const room = Math.floor(written / perRoom);
    const count = Math.min(BATCH, perRoom - (written % perRoom), MESSAGES - written);
    await generateMessages(server.db, { eventId: templates[room] }, count, words, `gen${written}_`);
    written += count;
    if (written % 100_000 < BATCH)
      console.log(
        `  ... ${server.name}: ${written.toLocaleString('en-US')} messages written (${Math.round((performance.now() - started) / 1000)} s)`,
      );
  }
  await server.db.prisma.$executeRawUnsafe('ANALYZE');
  server.markFilled(key);
  return searcher;
}
