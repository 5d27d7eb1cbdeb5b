import { join } from 'node:path';
import { LocalDeployment, type LocalDeploymentOptions } from '../../tools/services/local-deployment';
import { createScratchDatabase, emptyJetStream } from '../../tools/services/scratch-servers';
import { servicesEnv } from './services-env';

/**
 * The first port of the deployments this process starts: LATTICE_TEST_SERVICES_PORT, else a range of its own
 * per jest process, so suites run by several checkouts on one machine do not take each other's ports.
 */
let ports = Number(process.env.LATTICE_TEST_SERVICES_PORT ?? 20_000 + (process.pid % 400) * 100);

/**
 * Services mode as `npm run services` runs it (built apps in dist/, nginx in
 * front), on a database of its own and an emptied bus. Process output is
 * printed only when LATTICE_TEST_LOGS is set.
 */
export async function startServicesDeployment(
  options: Pick<LocalDeploymentOptions, 'replicas' | 'configFile' | 'env'> = {},
): Promise<LocalDeployment & { close(): Promise<void> }> {
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
    ...options,
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
