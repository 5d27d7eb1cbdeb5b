import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { InProcessBus, NatsBus, type Bus } from '@lattice/bus';
import { ClientApiModule } from '@lattice/client-api';
import type { LatticeConfig, ServiceRole } from '@lattice/config';
import { FederationApiModule } from '@lattice/federation-api';
import { createMatrixHttpApp, listenTls } from '@lattice/http';
import { MediaModule } from '@lattice/media';
import { PushModule } from '@lattice/push';
import { RoomServerModule } from '@lattice/room-server';
import { claimPartitionEpoch, databaseIdentity, InProcessPositionCache, NoPositionCache, openDatabase, RedisPositionCache, type Database, type PositionCache } from '@lattice/storage';
import { SyncModule } from '@lattice/sync';
import { HealthController } from './health.controller';
import { InfrastructureModule } from './infrastructure.module';

const SERVICE_MODULES: Record<Exclude<ServiceRole, 'all'>, Type<unknown>> = {
  'client-api': ClientApiModule,
  'federation-api': FederationApiModule,
  'room-server': RoomServerModule,
  sync: SyncModule,
  media: MediaModule,
  push: PushModule,
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
  if (config.cache.kind === 'redis') return new RedisPositionCache(config.cache.url, await databaseIdentity(db.prisma));
  return config.role === 'all' ? new InProcessPositionCache() : new NoPositionCache();
}

/**
 * Starts this process's services: all of them for role `all` (the embedded
 * single-process server), or one. The services are the same modules either
 * way; only the bus between them differs.
 */
export async function startLattice(config: LatticeConfig, options: { logger?: boolean } = {}): Promise<RunningLattice> {
  const db = await openDatabase(config.database);
  const bus = await createBus(config, db);
  const positions = await positionCacheFor(config, db);
  const roles = config.role === 'all' ? Object.values(SERVICE_MODULES).filter((m) => m !== PushModule || config.push.enabled) : [SERVICE_MODULES[config.role]];

  @Module({ imports: [InfrastructureModule.forRoot({ config, db, bus, positions }), ...roles], controllers: [HealthController] })
  class LatticeModule {}

  const app = await createMatrixHttpApp(LatticeModule as unknown as DynamicModule['module'], { logger: options.logger });
  app.enableShutdownHooks();
  await app.listen(config.listen.port, config.listen.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const tls = config.federation.tls;
  const tlsServer = tls && (await listenTls(app, { host: config.listen.host, port: tls.port, cert: readFileSync(tls.certFile, 'utf8'), key: readFileSync(tls.keyFile, 'utf8') }));
  const tlsAddress = tlsServer?.address();
  return {
    app,
    url: `http://${config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host}:${port}`,
    ...(typeof tlsAddress === 'object' && tlsAddress ? { federationPort: tlsAddress.port } : {}),
    close: async () => {
      await app.close();
      await bus.close();
      await positions.close();
      await db.close();
    },
  };
}

async function createBus(config: LatticeConfig, db: Database): Promise<Bus> {
  if (config.bus.kind === 'in-process') return new InProcessBus();
  return NatsBus.connect({
    url: config.bus.url,
    partitions: config.bus.partitions,
    // Unique per process: a pod name (HOSTNAME in Kubernetes) plus the pid for several processes on one host.
    name: `${config.role}-${hostname()}-${process.pid}`,
    claimEpoch: (partition, owner) => claimPartitionEpoch(db.prisma, partition, owner),
  });
}
