import type { LatticeConfig, TenantConfig } from './schema';

/**
 * Picks the tenant a request is for. One deployment serves several server
 * names; each request's Host header (or the configured public hostnames)
 * says which one, as two separate homeservers would be told apart by DNS.
 * The set can change at run time (`replace`, from the admin API's tenants
 * table): every lookup sees the latest set, so there is one directory per process.
 */
export class TenantDirectory {
  private byHost = new Map<string, TenantConfig>();
  private byServerName = new Map<string, TenantConfig>();
  private current: readonly TenantConfig[] = [];

  constructor(tenants: readonly TenantConfig[]) {
    this.replace(tenants);
  }

  get tenants(): readonly TenantConfig[] {
    return this.current;
  }

  /** Serves exactly `tenants` from now on; the maps are swapped whole, so no lookup sees half a change. */
  replace(tenants: readonly TenantConfig[]): void {
    const byHost = new Map<string, TenantConfig>();
    const byServerName = new Map<string, TenantConfig>();
    for (const tenant of tenants) {
      byServerName.set(tenant.serverName.toLowerCase(), tenant);
      for (const host of [tenant.serverName, ...tenant.hostnames, ...publicHost(tenant)]) {
        byHost.set(host.toLowerCase(), tenant);
        byHost.set(stripPort(host).toLowerCase(), tenant);
      }
    }
    this.byHost = byHost;
    this.byServerName = byServerName;
    this.current = tenants;
  }

  static fromConfig(config: LatticeConfig): TenantDirectory {
    return new TenantDirectory(config.tenants);
  }

  /** The first configured tenant: serves requests whose Host matches none (e.g. 127.0.0.1 in a single-tenant setup). */
  get defaultTenant(): TenantConfig | undefined {
    return this.current[0];
  }

  /** The tenant for a Host header value; falls back to the default when only one tenant is configured. */
  forHost(host: string | undefined): TenantConfig | undefined {
    if (host) {
      const hit = this.byHost.get(host.toLowerCase()) ?? this.byHost.get(stripPort(host).toLowerCase());
      if (hit) return hit;
    }
    return this.current.length === 1 ? this.defaultTenant : undefined;
  }

  /** The tenant that owns a server name, i.e. whether that name is local to this deployment. */
  forServerName(serverName: string): TenantConfig | undefined {
    return this.byServerName.get(serverName.toLowerCase());
  }

  isLocal(serverName: string): boolean {
    return this.byServerName.has(serverName.toLowerCase());
  }

  /** The server names local to this deployment, lower-cased as `isLocal` compares them. */
  get localServerNames(): string[] {
    return [...this.byServerName.keys()];
  }
}

function publicHost(tenant: TenantConfig): string[] {
  return tenant.publicBaseUrl ? [new URL(tenant.publicBaseUrl).host] : [];
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
