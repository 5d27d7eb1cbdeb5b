import { join } from 'node:path';
import { freePorts } from '../../tools/net/free-port';
import { LocalDeployment, type LocalDeploymentOptions } from '../../tools/services/local-deployment';
import { createScratchDatabase, dropScratchDatabase, emptyJetStream } from '../../tools/services/scratch-servers';
import { servicesEnv } from './services-env';

/** Ports a deployment may take: nginx and every process, replicas included. */
const PORTS_PER_DEPLOYMENT = 20;

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
  const base = await freePorts(PORTS_PER_DEPLOYMENT);
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
    await dropScratchDatabase(databaseUrl);
    throw e;
  }
  // Its database goes with it: runs of the suite would otherwise pile up databases on the developer's Postgres.
  const close = async () => {
    await deployment.stop();
    await dropScratchDatabase(databaseUrl);
  };
  return Object.assign(deployment, { close });
}
