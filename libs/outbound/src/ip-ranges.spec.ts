import { parseCidr, parseIp, rangeContains } from './ip-ranges';

describe('parseIp', () => {
  it('reads an IPv4 address as a 32-bit number', () => {
    expect(parseIp('192.168.1.2')).toEqual({ family: 4, value: 0xc0a80102n });
  });

  it('reads a compressed IPv6 address', () => {
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, value: 0x20010db8000000000000000000000001n });
    expect(parseIp('::')).toEqual({ family: 6, value: 0n });
    expect(parseIp('fe80::')).toEqual({ family: 6, value: 0xfe800000000000000000000000000000n });
  });

  it('reads an IPv6 address with a dotted IPv4 tail', () => {
    expect(parseIp('2001:db8::192.0.2.1')).toEqual({ family: 6, value: 0x20010db80000000000000000c0000201n });
  });

  it('reads a NAT64 address as the IPv4 address it carries', () => {
    expect(parseIp('64:ff9b::192.0.2.1')).toEqual({ family: 4, value: 0xc0000201n });
  });

  it('reads an IPv4-mapped IPv6 address as IPv4, however it is written', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('::FFFF:a00:1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('0:0:0:0:0:ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
  });

  it('ignores an IPv6 zone', () => {
    expect(parseIp('fe80::1%eth0')).toEqual(parseIp('fe80::1'));
  });

  it('refuses host names and malformed addresses', () => {
    for (const text of ['example.org', '1.2.3', '256.0.0.1', '1:2:3:4:5:6:7:8:9', ''])
      expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('reads a range, masking the base to its prefix', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, base: 0x0a000000n, prefix: 8 });
  });

  it('reads a bare address as a range of one', () => {
    expect(parseCidr('::1')).toEqual({ family: 6, base: 1n, prefix: 128 });
  });

  it('refuses a prefix longer than the family has bits, or not a number', () => {
    for (const text of ['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0.0/', '10.0.0.0/8/8'])
      expect(parseCidr(text)).toBeUndefined();
  });
});

describe('rangeContains', () => {
  it('contains the addresses sharing the prefix and no others', () => {
    const range = parseCidr('172.16.0.0/12')!;
    expect(rangeContains(range, parseIp('172.31.255.255')!)).toBe(true);
    expect(rangeContains(range, parseIp('172.32.0.0')!)).toBe(false);
  });

  it('never contains an address of the other family', () => {
    expect(rangeContains(parseCidr('::/0')!, parseIp('10.0.0.1')!)).toBe(false);
    expect(rangeContains(parseCidr('0.0.0.0/0')!, parseIp('::1')!)).toBe(false);
  });
});
