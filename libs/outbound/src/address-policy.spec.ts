import { AddressPolicy } from './address-policy';

const defaults = new AddressPolicy({ allowRanges: [], denyRanges: [] });
const allowed = (policy: AddressPolicy, address: string) => policy.judge(address).allowed;

describe('AddressPolicy with the default ranges', () => {
  it('allows public IPv4 and IPv6 addresses', () => {
    expect(allowed(defaults, '93.184.216.34')).toBe(true);
    expect(allowed(defaults, '2606:2800:220:1:248:1893:25c8:1946')).toBe(true);
  });

  it('refuses IPv4 loopback', () => {
    expect(allowed(defaults, '127.0.0.1')).toBe(false);
    expect(allowed(defaults, '127.255.255.254')).toBe(false);
  });

  it('refuses IPv6 loopback and the unspecified address', () => {
    expect(allowed(defaults, '::1')).toBe(false);
    expect(allowed(defaults, '::')).toBe(false);
  });

  it('refuses the RFC 1918 private ranges', () => {
    for (const address of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1'])
      expect(allowed(defaults, address)).toBe(false);
  });

  it('allows the addresses just outside the RFC 1918 ranges', () => {
    for (const address of ['11.0.0.1', '172.15.255.255', '172.32.0.0', '192.169.0.1'])
      expect(allowed(defaults, address)).toBe(true);
  });

  it('refuses IPv6 unique-local addresses (fc00::/7)', () => {
    expect(allowed(defaults, 'fc00::1')).toBe(false);
    expect(allowed(defaults, 'fdff:ffff::1')).toBe(false);
  });

  it('refuses link-local addresses of both families, with or without a zone', () => {
    expect(allowed(defaults, '169.254.169.254')).toBe(false);
    expect(allowed(defaults, 'fe80::1')).toBe(false);
    expect(allowed(defaults, 'fe80::1%eth0')).toBe(false);
  });

  it('refuses carrier-grade NAT (100.64.0.0/10) and "this network" (0.0.0.0/8)', () => {
    expect(allowed(defaults, '100.64.0.1')).toBe(false);
    expect(allowed(defaults, '100.127.255.255')).toBe(false);
    expect(allowed(defaults, '0.0.0.0')).toBe(false);
    expect(allowed(defaults, '100.128.0.1')).toBe(true);
  });

  it('refuses multicast and broadcast', () => {
    expect(allowed(defaults, '224.0.0.1')).toBe(false);
    expect(allowed(defaults, '255.255.255.255')).toBe(false);
    expect(allowed(defaults, 'ff02::1')).toBe(false);
  });

  it('judges an IPv4-mapped IPv6 address as the IPv4 address it maps', () => {
    expect(allowed(defaults, '::ffff:127.0.0.1')).toBe(false);
    expect(allowed(defaults, '::ffff:7f00:1')).toBe(false);
    expect(allowed(defaults, '::ffff:10.0.0.1')).toBe(false);
    expect(allowed(defaults, '::ffff:93.184.216.34')).toBe(true);
  });

  it('judges a NAT64 address (64:ff9b::/96) as the IPv4 address it translates to', () => {
    expect(allowed(defaults, '64:ff9b::10.0.0.1')).toBe(false);
    expect(allowed(defaults, '64:ff9b::7f00:1')).toBe(false);
    expect(allowed(defaults, '64:ff9b::93.184.216.34')).toBe(true);
  });

  it('refuses the deprecated IPv4-compatible addresses (::/96)', () => {
    expect(allowed(defaults, '::127.0.0.1')).toBe(false);
    expect(allowed(defaults, '::93.184.216.34')).toBe(false);
  });

  it('refuses what is not an IP address', () => {
    expect(defaults.judge('localhost')).toEqual({ allowed: false, reason: 'localhost is not an IP address' });
  });

  it('says how to allow a refused address', () => {
    expect(defaults.judge('127.0.0.1')).toEqual({
      allowed: false,
      reason: '127.0.0.1 is a private or reserved address (allow it with outbound.allowRanges)',
    });
  });
});

describe('AddressPolicy with configured ranges', () => {
  it('allows a range of the default denial named in allowRanges', () => {
    const policy = new AddressPolicy({ allowRanges: ['127.0.0.0/8', '::1'], denyRanges: [] });
    expect(allowed(policy, '127.0.0.1')).toBe(true);
    expect(allowed(policy, '::1')).toBe(true);
    expect(allowed(policy, '10.0.0.1')).toBe(false);
  });

  it('applies an IPv4 allow range to IPv4-mapped IPv6 addresses', () => {
    const policy = new AddressPolicy({ allowRanges: ['127.0.0.0/8'], denyRanges: [] });
    expect(allowed(policy, '::ffff:127.0.0.1')).toBe(true);
  });

  it('applies an IPv4-mapped IPv6 range as the IPv4 range', () => {
    const policy = new AddressPolicy({ allowRanges: ['::ffff:127.0.0.0/104'], denyRanges: [] });
    expect(allowed(policy, '127.0.0.1')).toBe(true);
    expect(allowed(policy, '128.0.0.1')).toBe(true);
    expect(allowed(policy, '10.0.0.1')).toBe(false);
  });

  it('refuses public addresses named in denyRanges', () => {
    const policy = new AddressPolicy({ allowRanges: [], denyRanges: ['93.184.216.0/24'] });
    expect(policy.judge('93.184.216.34')).toEqual({
      allowed: false,
      reason: '93.184.216.34 is in outbound.denyRanges',
    });
    expect(allowed(policy, '93.184.217.1')).toBe(true);
  });

  it('lets denyRanges win over allowRanges', () => {
    const policy = new AddressPolicy({ allowRanges: ['10.0.0.0/8'], denyRanges: ['10.1.0.0/16'] });
    expect(allowed(policy, '10.2.0.1')).toBe(true);
    expect(allowed(policy, '10.1.0.1')).toBe(false);
  });

  it('lets a narrower allow range win over a wider deny range: this machine only', () => {
    const policy = new AddressPolicy({ allowRanges: ['127.0.0.0/8', '::1/128'], denyRanges: ['0.0.0.0/0', '::/0'] });
    expect(allowed(policy, '127.0.0.1')).toBe(true);
    expect(allowed(policy, '::1')).toBe(true);
    expect(allowed(policy, '1.0.0.5')).toBe(false);
    expect(allowed(policy, '2001:db8::1')).toBe(false);
  });

  it('refuses on a tie between an allow and a deny range', () => {
    const policy = new AddressPolicy({ allowRanges: ['203.0.113.0/24'], denyRanges: ['203.0.113.0/24'] });
    expect(allowed(policy, '203.0.113.7')).toBe(false);
  });

  it('rejects a range that is not CIDR', () => {
    expect(() => new AddressPolicy({ allowRanges: ['127.0.0.0/33'], denyRanges: [] })).toThrow(
      '127.0.0.0/33 is not a CIDR range',
    );
    expect(() => new AddressPolicy({ allowRanges: [], denyRanges: ['example.org/8'] })).toThrow(
      'example.org/8 is not a CIDR range',
    );
  });
});
