import { connect } from 'nats';
import { Client } from 'pg';

/**
 * Clean slates on shared servers, for tests and benches that start a
 * deployment: a new database beside a given one, and a JetStream with no
 * streams or KV buckets. `settings` are CREATE DATABASE options (Synapse
 * wants the C locale).
 */
export async function createScratchDatabase(url: string, prefix: string, settings = ''): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ${settings}`);
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}

/** Drops a database createScratchDatabase made (given its URL), through the server's `postgres` database: a large one should not outlive its run. */
export async function dropScratchDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a scratch database name: ${name}`);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function emptyJetStream(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  for await (const stream of jsm.streams.list()) await jsm.streams.delete(stream.config.name);
  await nc.close();
}
