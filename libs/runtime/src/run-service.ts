import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, type ServiceRole } from '@lattice/config';
import { serviceNameFor, startTelemetry } from '@lattice/telemetry';
import { collectStartupGarbage } from './collect-startup-garbage';

const logger = new Logger('Lattice');

/**
 * The entry point of every app: read and validate the configuration, start
 * tracing, start the role's services, stop cleanly on SIGTERM/SIGINT.
 * `role` pins the service for the per-service apps; the homeserver app
 * takes it from configuration (default: all).
 */
export async function runService(role?: ServiceRole): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      logger.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  if (role) config = { ...config, role };
  const stopTelemetry = await startTelemetry({
    serviceName: serviceNameFor(config.telemetry.serviceName, config.role),
    otlpEndpoint: config.telemetry.otlpEndpoint,
    sampleRatio: config.telemetry.sampleRatio,
  });
  // Loaded after tracing starts, so the HTTP, pg and ioredis instrumentations see these modules load.
  const { startLattice } = await import('./start-lattice');
  const lattice = await startLattice(config);
  await collectStartupGarbage();
  logger.log(
    `Lattice (${config.role}) serving ${config.tenants.map((t) => t.serverName).join(', ')} on ${lattice.url}`,
  );
  // The only handler of these signals (not Nest's enableShutdownHooks as well): Nest's re-raised the signal once its
  // own hooks had run, ending the process while this one still closed the database and flushed traces, and the
  // two closes raced, so requests still being answered met a closed pool.
  const stop = async () => {
    await lattice.close();
    await stopTelemetry();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
