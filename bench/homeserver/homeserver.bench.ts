import { createScratchDatabase } from '../../tools/services/scratch-servers';
import { deliveryLatencies, percentile, populate, sendThroughput } from './client-load';
import { measureFloors } from './floors';
import { benchServers, startServices, startSingleProcess, type BenchTarget } from './targets';

const USERS = 100;
const ROOMS = 10;
const MESSAGES_PER_SENDER = 20;
const LATENCY_RATE = 200;
const LATENCY_SECONDS = 10;

/**
 * The homeserver under load, in each mode it can run here: send throughput,
 * send-to-/sync delivery latency at a steady rate, memory per process, and
 * the infrastructure floors. Services mode needs LATTICE_BENCH_POSTGRES_URL,
 * LATTICE_BENCH_NATS_URL and LATTICE_BENCH_REDIS_URL (nginx on PATH).
 */
export async function run(): Promise<Record<string, number>> {
  const servers = benchServers();
  const results: Record<string, number> = {};
  const modes: Array<[string, () => Promise<BenchTarget>]> = [['single-process embedded', () => startSingleProcess(18700)]];
  if (servers) {
    modes.push(['single-process postgres', async () => startSingleProcess(18710, await createScratchDatabase(servers.postgresUrl, 'lattice_bench'))]);
    modes.push(['services', () => startServices(18720, servers)]);
  } else {
    console.log('  (services mode and floors skipped: set LATTICE_BENCH_POSTGRES_URL, LATTICE_BENCH_NATS_URL, LATTICE_BENCH_REDIS_URL)');
  }
  for (const [mode, start] of modes) {
    console.log(`  ... ${mode}`);
    const target = await start();
    try {
      const { rooms } = await populate(target.url, USERS, ROOMS, 'bench');
      await sendThroughput(rooms, 2, 'warmup');
      const senders = rooms.reduce((n, r) => n + r.members.length, 0);
      results[`${mode}: send events/s (${USERS} users, ${ROOMS} rooms, ${senders} concurrent senders)`] = await sendThroughput(rooms, MESSAGES_PER_SENDER, 'load');
      const latencies = await deliveryLatencies(rooms[0], LATENCY_RATE, LATENCY_SECONDS, 'latency');
      for (const p of [50, 95, 99]) results[`${mode}: delivery p${p} ms at ${LATENCY_RATE} events/s`] = percentile(latencies, p);
      for (const [process, mib] of Object.entries(target.rss())) results[`${mode}: RSS MiB ${process}`] = mib;
    } finally {
      await target.stop();
    }
  }
  if (servers) Object.assign(results, await measureFloors(servers));
  return results;
}
