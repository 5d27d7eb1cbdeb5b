import type { TenantConfig } from '@lattice/config';
import { overlay } from './tenant-registry';
import type { StoredTenant } from './tenant-store';

const tenant = (
  serverName: string,
  mode: 'open' | 'token' | 'closed' = 'open',
  tokens: string[] = [],
): TenantConfig => ({
  serverName,
  hostnames: [],
  registration: { mode, tokens, guests: false },
  media: {},
  appServiceConfigFiles: [],
});
const row = (t: TenantConfig, disabled = false): StoredTenant => ({
  tenant: t,
  disabled,
  version: 1n,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

describe('overlay of configured tenants and the tenants table', () => {
  it('keeps configured tenants without a row as they are', () => {
    expect(overlay([tenant('a.test')], [])).toEqual([tenant('a.test')]);
  });

  it('lets a row replace the configured tenant of its name, keeping the configured tokens', () => {
    expect(overlay([tenant('a.test', 'token', ['t'])], [row(tenant('a.test', 'closed'))])).toEqual([
      tenant('a.test', 'closed', ['t']),
    ]);
  });

  it('adds tenants that only the table has', () => {
    expect(overlay([tenant('a.test')], [row(tenant('b.test'))]).map((t) => t.serverName)).toEqual(['a.test', 'b.test']);
  });

  it('leaves disabled tenants out, configured or not', () => {
    expect(overlay([tenant('a.test')], [row(tenant('a.test'), true), row(tenant('b.test'), true)])).toEqual([]);
  });

  it('keeps what the table does not hold, such as support contacts, from the configured tenant', () => {
    const configured = { ...tenant('a.test'), support: { contacts: [], support_page: 'https://a.test/help' } };
    expect(overlay([configured], [row(tenant('a.test', 'closed'))])[0]).toMatchObject({
      support: { support_page: 'https://a.test/help' },
      registration: { mode: 'closed' },
    });
  });
});
