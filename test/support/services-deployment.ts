import { join } from 'node:path';
import { LocalDeployment } from '../../tools/services/local-deployment';
import { createScratchDatabase, emptyJetStream } from '../../tools/services/scratch-servers';
import { servicesEnv } from './services-env';

/** Ports from a random base per test process: several checkouts' suites may run on one machine at once. */
let ports = 19000 + 20 * Math.floor(Math.random() * 150);

/**
 * Services mode as `npm run services` runs it (built apps in dist/, nginx in
 * front), on a database of its own and an emptied bus. Process output is
 * printed only when LATTICE_TEST_LOGS is set.
 */
export async function startServicesDeployment(env: Record<string, string> = {}): Promise<LocalDeployment & { close(): Promise<void> }> {
  const infra = servicesEnv();
  await emptyJetStream(infra.natsUrl);
  const databaseUrl = await createScratchDatabase(infra.postgresUrl, 'lattice_services');
  const base = (ports += 20);
  const deployment = new LocalDeployment({
    proxyPort: base,
    basePort: base + 1,
    databaseUrl,
    natsUrl: infra.natsUrl,
    redisUrl: infra.redisUrl,
    distDir: join(__dirname, '../../dist'),
    env,
    log: process.env.LATTICE_TEST_LOGS ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  try {
    await deployment.start();
  } catch (e) {
    // A deployment that did not come up must not leave its processes holding the ports of the next one.
    await deployment.stop();
    throw e;
  }
  return Object.assign(deployment, { close: () => deployment.stop() });
}
