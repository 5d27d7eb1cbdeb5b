import { join } from 'node:path';
import { LocalDeployment } from '../../tools/services/local-deployment';
import { createScratchDatabase, emptyJetStream } from '../../tools/services/scratch-servers';
import { servicesEnv } from './services-env';

/** The first port of the deployments this process starts (LATTICE_TEST_SERVICES_PORT), for runs beside others on one machine. */
let ports = Number(process.env.LATTICE_TEST_SERVICES_PORT ?? 18300);

/**
 * Services mode as `npm run services` runs it (built apps in dist/, nginx in
 * front), on a database of its own and an emptied bus. Process output is
 * printed only when LATTICE_TEST_LOGS is set.
 */
export async function startServicesDeployment(): Promise<LocalDeployment & { close(): Promise<void> }> {
  const env = servicesEnv();
  await emptyJetStream(env.natsUrl);
  const databaseUrl = await createScratchDatabase(env.postgresUrl, 'lattice_services');
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
