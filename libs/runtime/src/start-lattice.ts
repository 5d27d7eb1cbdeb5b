import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { AdminModule } from '@lattice/admin';
import { AppserviceModule } from '@lattice/appservice';
import { connectNatsBus, InProcessBus, type Bus } from '@lattice/bus';
import { ClientApiModule } from '@lattice/client-api';
import type { LatticeConfig, ServiceRole } from '@lattice/config';
import { FederationApiModule } from '@lattice/federation-api';
import { createMatrixHttpApp, listenTls } from '@lattice/http';
import { MediaModule } from '@lattice/media';
import { PushModule } from '@lattice/push';
import { RoomServerModule } from '@lattice/room-server';
import {
  checkBusPartitions,
  claimPartitionEpoch,
  databaseIdentity,
  InProcessPositionCache,
  NoPositionCache,
  openDatabase,
  RedisPositionCache,
  type Database,
  type PositionCache,
} from '@lattice/storage';
import { SyncModule } from '@lattice/sync';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import {
  consumerAckPending,
  consumerPending,
  dbPoolConnections,
  embeddedDatabaseHeap,
  JsonLogger,
  TextLogger,
  startProcessMetrics,
} from '@lattice/telemetry';
import type { LoggerService, LogLevel } from '@nestjs/common';
import { InfrastructureModule } from './infrastructure.module';

/** The admin API rides with the client-api, as in Synapse: it is light, and its users are a tenant's admins. */
const SERVICE_MODULES: Record<Exclude<ServiceRole, 'all'>, Array<Type<unknown>>> = {
  'client-api': [ClientApiModule, AdminModule],
  'federation-api': [FederationApiModule],
  'room-server': [RoomServerModule],
  sync: [SyncModule],
  media: [MediaModule],
  appservice: [AppserviceModule],
  push: [PushModule],
};

export interface RunningLattice {
  app: NestFastifyApplication;
  url: string;
  /** The TLS port serving federation, when config federation.tls is set. */
  federationPort?: number;
  close(): Promise<void>;
}

/** Redis when configured; in one process, memory (every writer is here); otherwise none. */
async function positionCacheFor(config: LatticeConfig, db: Database): Promise<PositionCache> {
  if (config.cache.kind === 'redis')
    return RedisPositionCache.connect(config.cache.url, await databaseIdentity(db.prisma));
  return config.role === 'all' ? new InProcessPositionCache() : new NoPositionCache();
}

/**
 * Starts this process's services: all of them for role `all` (the embedded
 * single-process server), or one. The services are the same modules either
 * way; only the bus between them differs.
 */
export async function startLattice(
  config: LatticeConfig,
  options: { logger?: boolean | LoggerService | LogLevel[] } = {},
): Promise<RunningLattice> {
  const db = await openDatabase(config.database);
  const bus = await createBus(config, db);
  const positions = await positionCacheFor(config, db);
  const roles =
    config.role === 'all'
      ? Object.values(SERVICE_MODULES)
          .flat()
          .filter((m) => m !== PushModule || config.push.enabled)
      : SERVICE_MODULES[config.role];

  @Module({
    imports: [InfrastructureModule.forRoot({ config, db, bus, positions }), ...roles],
    controllers: [HealthController, MetricsController],
  })
  class LatticeModule {}

  startProcessMetrics(config.role);
  const removeMetricSources = observeInfrastructure(db, bus);
  const app = await createMatrixHttpApp(LatticeModule as unknown as DynamicModule['module'], {
    logger: options.logger ?? loggerFor(config),
    accessLog: config.logging.accessLog,
  });
  await app.listen(config.listen.port, config.listen.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const tls = config.federation.tls;
  const tlsServer =
    tls &&
    (await listenTls(app, {
      host: config.listen.host,
      port: tls.port,
      cert: readFileSync(tls.certFile, 'utf8'),
      key: readFileSync(tls.keyFile, 'utf8'),
    }));
  const tlsAddress = tlsServer?.address();
  return {
    app,
    url: `http://${config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host}:${port}`,
    ...(typeof tlsAddress === 'object' && tlsAddress ? { federationPort: tlsAddress.port } : {}),
    close: async () => {
      removeMetricSources();
      await app.close();
      await bus.close();
      await positions.close();
      await db.close();
    },
  };
}

async function createBus(config: LatticeConfig, db: Database): Promise<Bus> {
  if (config.bus.kind === 'in-process') return new InProcessBus();
  // Also checked by the chart's pre-upgrade Job; here too, so a process started without the chart cannot split a room's writers.
  await checkBusPartitions(db.prisma, config.bus.partitions);
  return connectNatsBus({
    url: config.bus.url,
    partitions: config.bus.partitions,
    // Unique per process: a pod name (HOSTNAME in Kubernetes) plus the pid for several processes on one host.
    name: `${config.role}-${hostname()}-${process.pid}`,
    claimEpoch: (partition, owner) => claimPartitionEpoch(db.prisma, partition, owner),
  });
}

const LOG_LEVELS: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** The logger of a process: JSON lines when configured, else Nest's text logger; both from the configured level up. */
export function loggerFor(config: LatticeConfig): LoggerService {
  if (config.logging.format === 'json') return new JsonLogger(config.role, config.logging.level);
  return new TextLogger({ logLevels: LOG_LEVELS.slice(LOG_LEVELS.indexOf(config.logging.level)) });
}

/** Pool use, the embedded database thread's heap and consumer lag, read when Prometheus scrapes. */
function observeInfrastructure(db: Database, bus: Bus): () => void {
  const removers = [
    dbPoolConnections.addSource(() =>
      db.poolStats().flatMap((p) => [
        { labels: { pool: p.pool, state: 'total' }, value: p.total },
        { labels: { pool: p.pool, state: 'idle' }, value: p.idle },
        { labels: { pool: p.pool, state: 'waiting' }, value: p.waiting },
      ]),
    ),
    embeddedDatabaseHeap.addSource(async () => {
      const used = await db.threadHeapUsed();
      return used === undefined ? [] : [{ value: used }];
    }),
    consumerPending.addSource(async () =>
      (await bus.consumerLag()).map((lag) => ({ labels: lagLabels(lag), value: lag.pending })),
    ),
    consumerAckPending.addSource(async () =>
      (await bus.consumerLag()).map((lag) => ({ labels: lagLabels(lag), value: lag.ackPending })),
    ),
  ];
  return () => removers.forEach((remove) => remove());
}

function lagLabels(lag: { consumer: string; partition?: number }): Record<string, string> {
  return { consumer: lag.consumer, partition: lag.partition === undefined ? '' : String(lag.partition) };
}
