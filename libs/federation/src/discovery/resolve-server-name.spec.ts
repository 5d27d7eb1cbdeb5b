import { resolveServerName, type DiscoveryLookups, type SrvTarget } from './resolve-server-name';

/** Lookups answering from tables, recording what was asked. */
function lookups(
  wellKnown: Record<string, string> = {},
  srv: Record<string, SrvTarget[]> = {},
): DiscoveryLookups & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    wellKnown: async (host) => (asked.push(`well-known ${host}`), wellKnown[host]),
    srv: async (name) => (asked.push(`srv ${name}`), srv[name] ?? []),
  };
}
const record = (name: string, port: number, priority = 10, weight = 0): SrvTarget => ({ name, port, priority, weight });

describe('resolving server names (server-server-api "Resolving server names")', () => {
  it('1: uses an IP literal with its port, or 8448, and asks nothing', async () => {
    const l = lookups();
    expect(await resolveServerName('10.0.0.1', l)).toEqual({
      host: '10.0.0.1',
      port: 8448,
      hostHeader: '10.0.0.1',
      tlsName: '10.0.0.1',
    });
    expect(await resolveServerName('[::1]:1234', l)).toEqual({
      host: '::1',
      port: 1234,
      hostHeader: '[::1]:1234',
      tlsName: '::1',
    });
    expect(l.asked).toEqual([]);
  });

  it('2: uses a hostname with an explicit port directly, Host header with the port', async () => {
    const l = lookups({ 'example.org': 'elsewhere.example' });
    expect(await resolveServerName('example.org:8449', l)).toEqual({
      host: 'example.org',
      port: 8449,
      hostHeader: 'example.org:8449',
      tlsName: 'example.org',
    });
    expect(l.asked).toEqual([]);
  });

  it('3.1: follows a well-known delegation to an IP literal', async () => {
    expect(await resolveServerName('example.org', lookups({ 'example.org': '192.0.2.7:9000' }))).toEqual({
      host: '192.0.2.7',
      port: 9000,
      hostHeader: '192.0.2.7:9000',
      tlsName: '192.0.2.7',
    });
  });

  it('3.2: follows a delegation with a port without looking up SRV', async () => {
    const l = lookups(
      { 'example.org': 'matrix.example.org:443' },
      { '_matrix-fed._tcp.matrix.example.org': [record('other.example', 1)] },
    );
    expect(await resolveServerName('example.org', l)).toEqual({
      host: 'matrix.example.org',
      port: 443,
      hostHeader: 'matrix.example.org:443',
      tlsName: 'matrix.example.org',
    });
    expect(l.asked).toEqual(['well-known example.org']);
  });

  it('3.3: resolves a delegated hostname through _matrix-fed SRV, keeping the delegated name for Host and TLS', async () => {
    const l = lookups(
      { 'example.org': 'matrix.example.org' },
      { '_matrix-fed._tcp.matrix.example.org': [record('backup.example.', 2, 20), record('main.example.', 1, 10)] },
    );
    expect(await resolveServerName('example.org', l)).toEqual({
      host: 'main.example',
      port: 1,
      hostHeader: 'matrix.example.org',
      tlsName: 'matrix.example.org',
    });
  });

  it('3.4: falls back to the deprecated _matrix SRV of the delegated hostname', async () => {
    const l = lookups(
      { 'example.org': 'matrix.example.org' },
      { '_matrix._tcp.matrix.example.org': [record('old.example', 5)] },
    );
    expect(await resolveServerName('example.org', l)).toMatchObject({
      host: 'old.example',
      port: 5,
      tlsName: 'matrix.example.org',
    });
  });

  it('3.5: uses the delegated hostname on 8448 when it has no SRV records', async () => {
    expect(await resolveServerName('example.org', lookups({ 'example.org': 'matrix.example.org' }))).toEqual({
      host: 'matrix.example.org',
      port: 8448,
      hostHeader: 'matrix.example.org',
      tlsName: 'matrix.example.org',
    });
  });

  it('4: without a delegation, uses _matrix-fed SRV of the hostname, proving the hostname over TLS', async () => {
    const l = lookups({}, { '_matrix-fed._tcp.example.org': [record('fed.example', 8888)] });
    expect(await resolveServerName('example.org', l)).toEqual({
      host: 'fed.example',
      port: 8888,
      hostHeader: 'example.org',
      tlsName: 'example.org',
    });
  });

  it('5: then the deprecated _matrix SRV of the hostname', async () => {
    const l = lookups({}, { '_matrix._tcp.example.org': [record('legacy.example', 7)] });
    expect(await resolveServerName('example.org', l)).toMatchObject({
      host: 'legacy.example',
      port: 7,
      hostHeader: 'example.org',
    });
    expect(l.asked).toEqual([
      'well-known example.org',
      'srv _matrix-fed._tcp.example.org',
      'srv _matrix._tcp.example.org',
    ]);
  });

  it('6: otherwise the hostname on 8448', async () => {
    expect(await resolveServerName('example.org', lookups())).toEqual({
      host: 'example.org',
      port: 8448,
      hostHeader: 'example.org',
      tlsName: 'example.org',
    });
  });

  it('treats an SRV record of "." (service explicitly absent) as no record', async () => {
    expect(
      await resolveServerName('example.org', lookups({}, { '_matrix-fed._tcp.example.org': [record('.', 0)] })),
    ).toMatchObject({ host: 'example.org', port: 8448 });
  });

  it('ignores an invalid delegation and goes on to SRV', async () => {
    const l = lookups(
      { 'example.org': 'not a server name' },
      { '_matrix-fed._tcp.example.org': [record('fed.example', 1)] },
    );
    expect(await resolveServerName('example.org', l)).toMatchObject({ host: 'fed.example', tlsName: 'example.org' });
  });

  it('refuses what is not a server name', async () => {
    await expect(resolveServerName('bad name', lookups())).rejects.toThrow('not a valid server name');
  });
});
