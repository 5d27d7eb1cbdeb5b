import { JSONCodec, connect } from 'nats';
import { Client } from 'pg';
import { createScratchDatabase } from '../../tools/services/scratch-servers';
import type { BenchServers } from './targets';

const SECONDS = 3;

/** What the infrastructure can do at best, one operation after another: the floors under the homeserver's numbers. */
export async function measureFloors(servers: BenchServers): Promise<Record<string, number>> {
  return {
    'postgres single-row inserts/s (sequential)': await postgresInsertRate(servers.postgresUrl),
    'jetstream acked publishes/s (sequential)': await jetStreamPublishRate(servers.natsUrl),
  };
}

async function postgresInsertRate(url: string): Promise<number> {
  const client = new Client({ connectionString: await createScratchDatabase(url, 'lattice_bench_floor') });
  await client.connect();
  await client.query('CREATE TABLE floor (id bigserial PRIMARY KEY, body text NOT NULL)');
  const rate = await timed(async (i) => {
    await client.query('INSERT INTO floor (body) VALUES ($1)', [`row ${i}`]);
  });
  await client.end();
  return rate;
}

async function jetStreamPublishRate(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'LATTICE_BENCH_FLOOR', subjects: ['lattice.bench.floor'] });
  const js = nc.jetstream();
  const json = JSONCodec();
  const rate = await timed(async (i) => {
    await js.publish('lattice.bench.floor', json.encode({ i }));
  });
  await jsm.streams.delete('LATTICE_BENCH_FLOOR');
  await nc.close();
  return rate;
}

async function timed(op: (i: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < SECONDS * 1000) await op(i++);
  return Math.round(i / ((performance.now() - start) / 1000));
}
