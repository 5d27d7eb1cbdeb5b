import { DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { ACCESS_TOKEN_RESOLVER, MatrixRequestGuard, type AccessTokenResolver } from '@lattice/http';
import { Keyring } from '@lattice/room-server';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '@lattice/storage';

export interface Infrastructure {
  config: LatticeConfig;
  db: Database;
  bus: Bus;
  positions: PositionCache;
}

/** What every service module may inject: configuration, database, bus, position cache, accounts, signing keys. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const accounts = new AccountStore(infra.db.prisma, infra.bus);
    const resolver: AccessTokenResolver = { resolve: (token) => accounts.resolveToken(token) };
    const providers: Provider[] = [
      { provide: LATTICE_CONFIG, useValue: infra.config },
      { provide: DATABASE, useValue: infra.db },
      { provide: BUS, useValue: infra.bus },
      { provide: POSITION_CACHE, useValue: infra.positions },
      { provide: AccountStore, useValue: accounts },
      { provide: ACCESS_TOKEN_RESOLVER, useValue: resolver },
      { provide: Keyring, useValue: new Keyring(infra.db.prisma) },
      MatrixRequestGuard,
    ];
    return { module: InfrastructureModule, providers, exports: providers };
  }
}
