import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from './load-config';

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lattice-config-')), 'lattice.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives the embedded single-process server when nothing is configured', () => {
    const config = parseConfig({});
    expect(config.role).toBe('all');
    expect(config.listen.port).toBe(8008);
    expect(config.tenants.map((t) => t.serverName)).toEqual(['localhost']);
    expect(config.database).toEqual({ kind: 'embedded', dataDir: './data/db' });
    expect(config.bus.kind).toBe('in-process');
  });

  it('reads the YAML file named by LATTICE_CONFIG', () => {
    const path = yamlFile('tenants:\n  - serverName: example.org\n    registration: { mode: closed }\n');
    const config = loadConfig({ LATTICE_CONFIG: path });
    expect(config.tenants[0].serverName).toBe('example.org');
    expect(config.tenants[0].registration.mode).toBe('closed');
  });

  it('lets environment variables override the file', () => {
    const path = yamlFile('listen: { port: 9000 }\n');
    const config = loadConfig({
      LATTICE_CONFIG: path,
      LATTICE_PORT: '8448',
      LATTICE_DATABASE_URL: 'postgres://x/y',
      LATTICE_NATS_URL: 'nats://127.0.0.1:4222',
    });
    expect(config.listen.port).toBe(8448);
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://x/y', preparedStatements: true });
    expect(config.bus).toEqual({ kind: 'nats', url: 'nats://127.0.0.1:4222', partitions: 64 });
  });

  it("keeps the file's database settings when LATTICE_DATABASE_URL sets the URL", () => {
    const path = yamlFile('database: { kind: postgres, url: postgres://a/b, preparedStatements: false }\n');
    const config = loadConfig({ LATTICE_CONFIG: path, LATTICE_DATABASE_URL: 'postgres://x/y' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://x/y', preparedStatements: false });
  });

  it('reads outbound.allowRanges from a comma-separated LATTICE_OUTBOUND_ALLOW_RANGES', () => {
    const config = loadConfig({ LATTICE_OUTBOUND_ALLOW_RANGES: '127.0.0.0/8, ::1/128' });
    expect(config.outbound.allowRanges).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it('names every invalid setting with its path', () => {
    expect(() => parseConfig({ listen: { port: 'eighty' }, role: 'everything' })).toThrow(
      /listen\.port[\s\S]*role|role[\s\S]*listen\.port/,
    );
  });

  it('takes token registration without configured tokens (they come from the admin API)', () => {
    expect(
      parseConfig({ tenants: [{ serverName: 'a.example', registration: { mode: 'token' } }] }).tenants[0].registration,
    ).toMatchObject({ mode: 'token', tokens: [] });
  });

  it('refuses a server name that is not one', () => {
    expect(() => parseConfig({ tenants: [{ serverName: 'not a host!' }] })).toThrow(/tenants\.0\.serverName/);
  });

  it('refuses no outbound destination beyond the default ranges unless configured', () => {
    expect(parseConfig({}).outbound).toEqual({ allowRanges: [], denyRanges: [] });
  });

  it('names an outbound range that is not CIDR', () => {
    expect(() => parseConfig({ outbound: { allowRanges: ['127.0.0.0/8', 'loopback'] } })).toThrow(
      /outbound\.allowRanges\.1: must be a CIDR range/,
    );
  });

  it('reports a missing file clearly', () => {
    expect(() => loadConfig({ LATTICE_CONFIG: '/nonexistent/lattice.yaml' })).toThrow(/file not found/);
  });
});
