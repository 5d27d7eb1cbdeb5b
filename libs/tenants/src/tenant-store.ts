import { Inject, Injectable } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** A tenant as the admin API stores it: its settings, and whether it is served. */
export interface StoredTenant {
  tenant: TenantConfig;
  disabled: boolean;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/** What an admin may set on a tenant; fields left out keep their value. */
export type TenantChange = Partial<Pick<TenantConfig, 'publicBaseUrl' | 'federationHost' | 'hostnames'>> & {
  registration?: Partial<Pick<TenantConfig['registration'], 'mode' | 'guests'>>;
  disabled?: boolean;
};

type Row = {
  serverName: string;
  publicBaseUrl: string | null;
  federationHost: string | null;
  hostnames: string[];
  registrationMode: string;
  guests: boolean;
  disabled: boolean;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * The `tenants` table: tenants created or changed at run time. Every write
 * takes the next value of the sequence `tenant_versions`, so the highest
 * version says whether a process's copy of the table is current.
 */
@Injectable()
export class TenantStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async list(): Promise<StoredTenant[]> {
    return (await this.db.tenant.findMany({ orderBy: { serverName: 'asc' } })).map(fromRow);
  }

  async get(serverName: string): Promise<StoredTenant | undefined> {
    const row = await this.db.tenant.findUnique({ where: { serverName } });
    return row ? fromRow(row) : undefined;
  }

  /** The table's version: 0 while it is empty. */
  async version(): Promise<bigint> {
    const { _max } = await this.db.tenant.aggregate({ _max: { version: true } });
    return _max.version ?? 0n;
  }

  /**
   * Creates the row from `base` (a configured tenant being overridden, or defaults) with `change`
   * applied, or applies `change` to the existing row. Answers the stored tenant.
   */
  async write(serverName: string, base: TenantConfig, change: TenantChange): Promise<StoredTenant> {
    const existing = await this.get(serverName);
    const from = existing?.tenant ?? base;
    const fields = {
      publicBaseUrl: ('publicBaseUrl' in change ? change.publicBaseUrl : from.publicBaseUrl) ?? null,
      federationHost: ('federationHost' in change ? change.federationHost : from.federationHost) ?? null,
      hostnames: change.hostnames ?? from.hostnames,
      registrationMode: change.registration?.mode ?? from.registration.mode,
      guests: change.registration?.guests ?? from.registration.guests,
      disabled: change.disabled ?? existing?.disabled ?? false,
    };
    const [{ version }] = await this.db.$queryRawUnsafe<Array<{ version: string }>>(
      `SELECT nextval('tenant_versions')::text AS version`,
    );
    const row = await this.db.tenant.upsert({
      where: { serverName },
      create: { serverName, ...fields, version: BigInt(version) },
      update: { ...fields, version: BigInt(version), updatedAt: new Date() },
    });
    return fromRow(row);
  }
}

function fromRow(row: Row): StoredTenant {
  return {
    tenant: {
      serverName: row.serverName,
      // Present even when empty, so a row that cleared it overrides the configured tenant's value.
      publicBaseUrl: row.publicBaseUrl ?? undefined,
      federationHost: row.federationHost ?? undefined,
      hostnames: row.hostnames,
      registration: {
        mode: row.registrationMode as TenantConfig['registration']['mode'],
        tokens: [],
        guests: row.guests,
      },
      // Run-time tenants take the server-wide media limits.
      media: {},
      appServiceConfigFiles: [],
    },
    disabled: row.disabled,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
