import { createScratchDatabase } from '../../tools/services/scratch-servers';
import { deliveryLatencies, percentile, populate, sendThroughput, type BenchClient } from './client-load';
import { measureFloors } from './floors';
import { benchServers, startServices, startSingleProcess, type BenchTarget } from './targets';

const USERS = 100;
const ROOMS = 10;
const MESSAGES_PER_SENDER = 20;
const LATENCY_RATE = 200;
const LATENCY_SECONDS = 10;
/** Throughput rounds per mode (LATTICE_BENCH_ROUNDS), taken in turn across the modes. */
const ROUNDS = Number(process.env.LATTICE_BENCH_ROUNDS ?? 3);

interface Mode {
  name: string;
  target: BenchTarget;
  rooms: Array<{ roomId: string; members: BenchClient[] }>;
  rates: number[];
}

/**
 * The homeserver under load, in each mode it can run here: send throughput,
 * send-to-/sync delivery latency at a steady rate, memory per process, and
 * the infrastructure floors. Services mode needs LATTICE_BENCH_POSTGRES_URL,
 * LATTICE_BENCH_NATS_URL and LATTICE_BENCH_REDIS_URL (nginx on PATH).
 *
 * Every mode runs at once (idle between its turns), and the throughput
 * rounds go round the modes in turn: this machine's speed drifts by tens of
 * percent over minutes, and a drift then hits every mode alike instead of
 * deciding their ratio. Each mode's median round is reported. Latency is
 * measured afterwards, one mode at a time.
 */
export async function run(): Promise<Record<string, number>> {
  const servers = benchServers();
  const results: Record<string, number> = {};
  const starts: Array<[string, () => Promise<BenchTarget>]> = [
    ['single-process embedded', () => startSingleProcess(18700)],
  ];
  if (servers) {
    starts.push([
      'single-process postgres',
      async () => startSingleProcess(18710, await createScratchDatabase(servers.postgresUrl, 'lattice_bench')),
    ]);
    starts.push(['services', () => startServices(18720, servers)]);
  } else {
    console.log(
      '  (services mode and floors skipped: set LATTICE_BENCH_POSTGRES_URL, LATTICE_BENCH_NATS_URL, LATTICE_BENCH_REDIS_URL)',
    );
  }
  const modes: Mode[] = [];
  try {
    for (const [name, start] of starts) {
      console.log(`  ... starting ${name}`);
      const mode: Mode = { name, target: await start(), rooms: [], rates: [] };
      modes.push(mode);
      mode.rooms = (await populate(mode.target.url, USERS, ROOMS, 'bench')).rooms;
      // A full round first, not measured: JIT compilation takes a while longer when the work is spread over more processes.
      await sendThroughput(mode.rooms, MESSAGES_PER_SENDER, 'warmup');
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of modes) mode.rates.push(await sendThroughput(mode.rooms, MESSAGES_PER_SENDER, `load${round}`));
      console.log(`  ... round ${round + 1}: ${modes.map((m) => `${m.name} ${m.rates[round]}`).join(', ')} events/s`);
    }
    const services = modes.find((m) => m.name === 'services');
    for (const { name, rooms, rates } of modes) {
      const senders = rooms.reduce((n, r) => n + r.members.length, 0);
      results[
        `${name}: send events/s (${USERS} users, ${ROOMS} rooms, ${senders} concurrent senders; median of ${ROUNDS})`
      ] = median(rates);
      if (services && name.startsWith('single-process'))
        results[`services throughput as % of ${name}`] = Math.round((100 * median(services.rates)) / median(rates));
    }
    // Latency one mode at a time, each stopped once measured: the last one measured (embedded) has the machine to itself.
    while (modes.length) {
      const { name, target, rooms } = modes[modes.length - 1];
      const latencies = await deliveryLatencies(rooms[0], LATENCY_RATE, LATENCY_SECONDS, 'latency');
      for (const p of [50, 95, 99])
        results[`${name}: delivery p${p} ms at ${LATENCY_RATE} events/s`] = percentile(latencies, p);
      for (const [process, mib] of Object.entries(target.rss())) results[`${name}: RSS MiB ${process}`] = mib;
      modes.pop();
      await target.stop();
    }
  } finally {
    for (const { target } of modes) await target.stop();
  }
  if (servers) Object.assign(results, await measureFloors(servers));
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
