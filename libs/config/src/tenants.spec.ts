import { parseConfig } from './load-config';
import { TenantDirectory } from './tenants';

const twoTenants = TenantDirectory.fromConfig(
  parseConfig({
    tenants: [
      { serverName: 'alpha.test', publicBaseUrl: 'https://matrix.alpha.test' },
      { serverName: 'beta.test:8448', hostnames: ['chat.beta.test'] },
    ],
  }),
);

describe('TenantDirectory', () => {
  it('selects the tenant by server name, public host or extra hostname', () => {
    expect(twoTenants.forHost('alpha.test')?.serverName).toBe('alpha.test');
    expect(twoTenants.forHost('matrix.alpha.test')?.serverName).toBe('alpha.test');
    expect(twoTenants.forHost('chat.beta.test:443')?.serverName).toBe('beta.test:8448');
  });

  it('does not guess when several tenants exist and the host matches none', () => {
    expect(twoTenants.forHost('unknown.test')).toBeUndefined();
  });

  it('serves every host with the only tenant of a single-tenant deployment', () => {
    const single = TenantDirectory.fromConfig(parseConfig({}));
    expect(single.forHost('127.0.0.1:8008')?.serverName).toBe('localhost');
  });

  it('knows which server names are local', () => {
    expect(twoTenants.isLocal('BETA.test:8448')).toBe(true);
    expect(twoTenants.isLocal('beta.test')).toBe(false);
  });
});
