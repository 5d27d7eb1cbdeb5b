import { DynamicModule, Global, Logger, Module, type Provider } from '@nestjs/common';
import { ACCOUNT_PROVIDERS, ACCOUNT_STORE_OPTIONS, AccountStore, type AccountStoreOptions } from '@lattice/accounts';
import {
  AppserviceAuthenticator,
  AppserviceClient,
  AppserviceRegistry,
  NamespaceQueries,
} from '@lattice/appservice-registry';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig } from '@lattice/config';
import { FederationClient, RemoteJoiner, ServerKeys, trustedCertificates } from '@lattice/federation';
import {
  ACCESS_TOKEN_RESOLVER,
  APPSERVICE_TOKEN_RESOLVER,
  MatrixRequestGuard,
  type AccessTokenResolver,
} from '@lattice/http';
import { AddressPolicy } from '@lattice/outbound';
import { Keyring, ROOM_READ_PROVIDERS } from '@lattice/rooms';
import {
  DATABASE,
  ForegroundWork,
  POSITION_CACHE,
  PRISMA,
  PRISMA_PROVIDER,
  UnreadCounts,
  type Database,
  type PositionCache,
  type PrismaClient,
} from '@lattice/storage';
import { STREAM_PROVIDERS } from '@lattice/streams';
import { TenantRegistry, TenantStore } from '@lattice/tenants';

export interface Infrastructure {
  config: LatticeConfig;
  db: Database;
  bus: Bus;
  positions: PositionCache;
}

/**
 * What every service module may inject: configuration, database, its Prisma
 * client (PRISMA), bus, position cache, the unread counts (UnreadCounts, kept per process), the shared libraries' stores (accounts
 * and device lists, the per-user streams, room reads under each caller's token), our signing keys, other servers' keys, the
 * federation client, the tenants (the configuration file's, kept current with the tenants table) and
 * their application services (registrations, the client that calls them).
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const federationLog = new Logger('FederationClient');
    const providers: Provider[] = [
      { provide: LATTICE_CONFIG, useValue: infra.config },
      {
        provide: TenantDirectory,
        useFactory: (config: LatticeConfig) => TenantDirectory.fromConfig(config),
        inject: [LATTICE_CONFIG],
      },
      { provide: DATABASE, useValue: infra.db },
      PRISMA_PROVIDER,
      { provide: BUS, useValue: infra.bus },
      { provide: POSITION_CACHE, useValue: infra.positions },
      ForegroundWork,
      UnreadCounts,
      {
        provide: ACCOUNT_STORE_OPTIONS,
        useFactory: (config: LatticeConfig): AccountStoreOptions => ({
          accessTokenLifetimeMs: config.auth.accessTokenLifetimeMs,
        }),
        inject: [LATTICE_CONFIG],
      },
      ...ACCOUNT_PROVIDERS,
      ...STREAM_PROVIDERS,
      {
        provide: ACCESS_TOKEN_RESOLVER,
        useFactory: (accounts: AccountStore): AccessTokenResolver => ({
          resolve: (token) => accounts.resolveToken(token),
          seen: (owner, ip) => accounts.deviceSeen(owner.userId, owner.deviceId, ip),
        }),
        inject: [AccountStore],
      },
      Keyring,
      {
        provide: FederationClient,
        useFactory: (keyring: Keyring, config: LatticeConfig) =>
          new FederationClient({
            signingKey: (serverName) => keyring.signingKey(serverName),
            ca: trustedCertificates(config.federation.trustedCaFiles),
            addresses: new AddressPolicy(config.outbound),
            onRefused: (destination, error) => federationLog.warn(`Not sending to ${destination}: ${error.message}`),
          }),
        inject: [Keyring, LATTICE_CONFIG],
      },
      {
        provide: ServerKeys,
        useFactory: (
          prisma: PrismaClient,
          federation: FederationClient,
          keyring: Keyring,
          tenants: TenantDirectory,
          config: LatticeConfig,
        ) =>
          new ServerKeys(prisma, federation, keyring, {
            isLocal: (name) => tenants.isLocal(name),
            keyServers: config.federation.keyServers,
          }),
        inject: [PRISMA, FederationClient, Keyring, TenantDirectory, LATTICE_CONFIG],
      },
      {
        provide: RemoteJoiner,
        useFactory: (federation: FederationClient, serverKeys: ServerKeys, keyring: Keyring) =>
          new RemoteJoiner(federation, serverKeys, (serverName) => keyring.signingKey(serverName)),
        inject: [FederationClient, ServerKeys, Keyring],
      },
      TenantStore,
      TenantRegistry,
      AppserviceRegistry,
      AppserviceClient,
      AppserviceAuthenticator,
      NamespaceQueries,
      { provide: APPSERVICE_TOKEN_RESOLVER, useExisting: AppserviceAuthenticator },
      ...ROOM_READ_PROVIDERS,
      MatrixRequestGuard,
    ];
    return { module: InfrastructureModule, providers, exports: providers };
  }
}
