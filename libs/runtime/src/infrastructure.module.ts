import { DynamicModule, Global, Logger, Module, type Provider } from '@nestjs/common';
import { AccountStore, RegistrationTokens, CrossSigningStore, DehydratedDeviceStore, DeviceKeyStore, DeviceListStore, KeyBackupStore, LoginTokens, OpenIdTokens } from '@lattice/accounts';
import { AppserviceAuthenticator, AppserviceClient, AppserviceRegistry, NamespaceQueries } from '@lattice/appservice-registry';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig } from '@lattice/config';
import { FederationClient, RemoteJoiner, ServerKeys, trustedCertificates } from '@lattice/federation';
import { ACCESS_TOKEN_RESOLVER, APPSERVICE_TOKEN_RESOLVER, MatrixRequestGuard, type AccessTokenResolver } from '@lattice/http';
import { AddressPolicy } from '@lattice/outbound';
import { Keyring, ROOM_READ_PROVIDERS } from '@lattice/rooms';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '@lattice/storage';
import { TenantRegistry, TenantStore } from '@lattice/tenants';

export interface Infrastructure {
  config: LatticeConfig;
  db: Database;
  bus: Bus;
  positions: PositionCache;
}

/**
 * What every service module may inject: configuration, database, bus,
 * position cache, accounts and device lists, our signing keys, other servers' keys, the
 * federation client, the tenants (the configuration file's, kept current with the tenants table) and
 * their application services (registrations, the client that calls them).
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const deviceLists = new DeviceListStore(infra.db.prisma, infra.positions, infra.bus);
    const accounts = new AccountStore(infra.db.prisma, infra.bus, deviceLists, { accessTokenLifetimeMs: infra.config.auth.accessTokenLifetimeMs });
    const resolver: AccessTokenResolver = { resolve: (token) => accounts.resolveToken(token), seen: (owner, ip) => accounts.deviceSeen(owner.userId, owner.deviceId, ip) };
    const keyring = new Keyring(infra.db.prisma);
    const federationLog = new Logger('FederationClient');
    const federation = new FederationClient({
      signingKey: (serverName) => keyring.signingKey(serverName),
      ca: trustedCertificates(infra.config.federation.trustedCaFiles),
      addresses: new AddressPolicy(infra.config.outbound),
      onRefused: (destination, error) => federationLog.warn(`Not sending to ${destination}: ${error.message}`),
    });
    const tenants = TenantDirectory.fromConfig(infra.config);
    const serverKeys = new ServerKeys(infra.db.prisma, federation, keyring, { isLocal: (name) => tenants.isLocal(name), keyServers: infra.config.federation.keyServers });
    const providers: Provider[] = [
      { provide: LATTICE_CONFIG, useValue: infra.config },
      { provide: TenantDirectory, useValue: tenants },
      { provide: DATABASE, useValue: infra.db },
      { provide: BUS, useValue: infra.bus },
      { provide: POSITION_CACHE, useValue: infra.positions },
      { provide: AccountStore, useValue: accounts },
      { provide: DeviceListStore, useValue: deviceLists },
      { provide: DeviceKeyStore, useValue: new DeviceKeyStore(infra.db.prisma, infra.bus) },
      { provide: CrossSigningStore, useValue: new CrossSigningStore(infra.db.prisma) },
      { provide: DehydratedDeviceStore, useValue: new DehydratedDeviceStore(infra.db.prisma) },
      { provide: KeyBackupStore, useValue: new KeyBackupStore(infra.db.prisma) },
      { provide: OpenIdTokens, useValue: new OpenIdTokens(infra.db.prisma) },
      { provide: LoginTokens, useValue: new LoginTokens(infra.db.prisma) },
      { provide: ACCESS_TOKEN_RESOLVER, useValue: resolver },
      { provide: Keyring, useValue: keyring },
      { provide: FederationClient, useValue: federation },
      { provide: ServerKeys, useValue: serverKeys },
      { provide: RemoteJoiner, useValue: new RemoteJoiner(federation, serverKeys, (serverName) => keyring.signingKey(serverName)) },
      RegistrationTokens,
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
