import { join } from 'node:path';
import { Client } from 'pg';
import { LocalDeployment } from '../../tools/services/local-deployment';
import { resetNats, servicesEnv } from './services-env';

let ports = 18300;

/**
 * Services mode as `npm run services` runs it (built apps in dist/, nginx in
 * front), on a database of its own and an emptied bus. Process output is
 * printed only when LATTICE_TEST_LOGS is set.
 */
export async function startServicesDeployment(): Promise<LocalDeployment & { close(): Promise<void> }> {
  const env = servicesEnv();
  await resetNats(env.natsUrl);
  const databaseUrl = await freshDatabase(env.postgresUrl);
  const base = (ports += 20);
  const deployment = new LocalDeployment({
    proxyPort: base,
    basePort: base + 1,
    databaseUrl,
    natsUrl: env.natsUrl,
    redisUrl: env.redisUrl,
    distDir: join(__dirname, '../../dist'),
    log: process.env.LATTICE_TEST_LOGS ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  await deployment.start();
  return Object.assign(deployment, { close: () => deployment.stop() });
}

/** A new, empty database next to the one LATTICE_TEST_POSTGRES_URL names. */
async function freshDatabase(url: string): Promise<string> {
  const name = `lattice_services_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}
