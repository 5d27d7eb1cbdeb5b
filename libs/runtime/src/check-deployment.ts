import { Logger } from '@nestjs/common';
import { loadConfig } from '@lattice/config';
import { checkBusPartitions, openDatabase } from '@lattice/storage';

const logger = new Logger('PrepareDeployment');

/** A secret the deployment needs, and where the chart said it comes from (for a message an operator can act on). */
interface RequiredSecret {
  env: string;
  source: string;
}

/** Something the deployment needs is missing or wrong; the message says what to fix. */
export class DeploymentNotReady extends Error {}

/**
 * What the chart's pre-install/pre-upgrade Job runs before any pod of the
 * release starts or rolls: every required secret present (the Job reads them
 * as optional, so a missing Secret or key is named here rather than leaving a
 * pod stuck in CreateContainerConfigError), the database migrated once, and
 * the room-input partition count unchanged.
 */
export async function checkDeployment(env: NodeJS.ProcessEnv): Promise<void> {
  const required = JSON.parse(env.LATTICE_REQUIRED_SECRETS ?? '[]') as RequiredSecret[];
  const missing = required.filter((secret) => !env[secret.env]);
  if (missing.length > 0)
    throw new DeploymentNotReady(`Missing secrets: ${missing.map((s) => `${s.env} from ${s.source}`).join('; ')}`);
  const config = loadConfig(env);
  const db = await openDatabase(config.database);
  try {
    logger.log('Database migrated');
    if (config.bus.kind === 'nats') {
      await checkBusPartitions(db.prisma, config.bus.partitions);
      logger.log(`bus.partitions is ${config.bus.partitions}, as recorded`);
    }
  } catch (e) {
    throw new DeploymentNotReady((e as Error).message);
  } finally {
    await db.close();
  }
}
