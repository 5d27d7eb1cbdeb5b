import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { RegistrationTokens } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { TenantStore, type StoredTenant } from './tenant-store';

/**
 * Keeps this process's TenantDirectory equal to the configuration file's
 * tenants overlaid with the tenants table: a row replaces the configured
 * tenant of its server name, a disabled row removes it. Every process reloads
 * when an `output.tenants` message arrives, and polls the table's version,
 * so a tenant created through any process is served by all of them without
 * a restart, within the poll interval even if the message is lost.
 */
@Injectable()
export class TenantRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TenantRegistry.name);
  private loadedVersion = -1n;
  private poll?: NodeJS.Timeout;

  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    @Inject(BUS) private readonly bus: Bus,
    private readonly store: TenantStore,
    private readonly directory: TenantDirectory,
    private readonly registrationTokens: RegistrationTokens,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const tenant of this.config.tenants)
      await this.registrationTokens.seed(tenant.serverName, tenant.registration.tokens);
    await this.reload();
    this.bus.consume('output.tenants', () => this.reload());
    this.poll = setInterval(() => {
      this.reloadIfChanged().catch((e: Error) => this.logger.warn(`Could not check the tenants table: ${e.message}`));
    }, this.config.admin.tenantPollMs);
    this.poll.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.poll);
  }

  configuredTenants(): readonly TenantConfig[] {
    return this.config.tenants;
  }

  /** The configured tenant of that name, if the file has one (the base a first admin change starts from). */
  configured(serverName: string): TenantConfig | undefined {
    return this.config.tenants.find((t) => t.serverName === serverName);
  }

  /** Re-reads the table now and serves what it says; the admin API calls it after a write so its own process is current at once. */
  async reload(): Promise<void> {
    const rows = await this.store.list();
    this.directory.replace(overlay(this.config.tenants, rows));
    this.loadedVersion = rows.reduce((max, r) => (r.version > max ? r.version : max), 0n);
  }

  /** Announces a change to every process (this one included). */
  async announce(stored: StoredTenant): Promise<void> {
    await this.reload();
    await this.bus.publish('output.tenants', {
      serverName: stored.tenant.serverName,
      version: stored.version.toString(),
    });
  }

  private async reloadIfChanged(): Promise<void> {
    if ((await this.store.version()) !== this.loadedVersion) await this.reload();
  }
}

/** Configured tenants, each overridden by its row if it has one, then the rows of new tenants; disabled ones left out. */
export function overlay(configured: readonly TenantConfig[], rows: readonly StoredTenant[]): TenantConfig[] {
  const byName = new Map(rows.map((r) => [r.tenant.serverName, r]));
  const fromConfig = configured.flatMap((t) => {
    const row = byName.get(t.serverName);
    if (!row) return [t];
    // What the table does not hold (the configured tokens, support contacts) stays as configured.
    return row.disabled
      ? []
      : [{ ...t, ...row.tenant, registration: { ...row.tenant.registration, tokens: t.registration.tokens } }];
  });
  const added = rows
    .filter((r) => !r.disabled && !configured.some((t) => t.serverName === r.tenant.serverName))
    .map((r) => r.tenant);
  return [...fromConfig, ...added];
}
