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

/** How long dropScratchDatabase waits for the database's last sessions to end. */
const DROP_WAIT_MS = 10_000;

/**
 * Drops a database createScratchDatabase made (given its URL), through the server's `postgres` database, once no
 * session uses it: a large one should not outlive its run. Sessions are waited for, not cut off (`WITH (FORCE)`): a
 * connection of the test's own process that is cut fails the run with an unhandled error, in whichever suite runs
 * then. A database still in use after DROP_WAIT_MS is left, with a warning.
 */
export async function dropScratchDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a scratch database name: ${name}`);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const deadline = Date.now() + DROP_WAIT_MS; ;) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch (e) {
        // 55006: other sessions are using the database.
        if ((e as { code?: string }).code !== '55006') throw e;
        if (Date.now() > deadline) {
          process.stderr.write(`scratch database ${name} is still in use after ${DROP_WAIT_MS} ms: left in place\n`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
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
