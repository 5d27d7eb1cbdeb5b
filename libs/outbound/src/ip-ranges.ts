import { isIPv4, isIPv6 } from 'node:net';

/** An address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** A CIDR range: every address whose first `prefix` bits are those of `base`. */
export interface IpRange {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

/** The /96 prefixes whose addresses reach the IPv4 address in their last 32 bits: IPv4-mapped, and NAT64's well-known prefix. */
const IPV4_CARRYING_PREFIXES = [0xffffn, 0x64ff9b0000000000000000n];

/**
 * Parses an IPv4 or IPv6 literal (a zone such as `%eth0` is ignored). An
 * IPv4-mapped address (::ffff:a.b.c.d) or a NAT64 one (64:ff9b::a.b.c.d) is
 * the IPv4 address it carries: connecting to it reaches that IPv4 host, so
 * it must be judged as one.
 */
export function parseIp(text: string): IpAddress | undefined {
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return { family: 4, value: ipv4Value(address) };
  if (!isIPv6(address)) return undefined;
  const value = ipv6Value(address);
  return IPV4_CARRYING_PREFIXES.includes(value >> 32n)
    ? { family: 4, value: value & 0xffffffffn }
    : { family: 6, value };
}

/** Parses `address/prefix` (a bare address is a range of one); an IPv6 range within an IPv4-carrying /96 becomes the IPv4 range. */
export function parseCidr(text: string): IpRange | undefined {
  const [addressText, prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0 || !addressText) return undefined;
  const written = addressText.replace(/%.*$/, '');
  const writtenFamily = isIPv4(written) ? 4 : isIPv6(written) ? 6 : undefined;
  if (writtenFamily === undefined) return undefined;
  const bits = writtenFamily === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const address = parseIp(written)!;
  if (writtenFamily === 6 && address.family === 4) {
    if (prefix < 96) return { family: 6, base: mask(ipv6Value(written), prefix, 128), prefix };
    prefix -= 96;
  }
  const familyBits = address.family === 4 ? 32 : 128;
  return { family: address.family, base: mask(address.value, prefix, familyBits), prefix };
}

export function rangeContains(range: IpRange, address: IpAddress): boolean {
  if (range.family !== address.family) return false;
  const bits = range.family === 4 ? 32 : 128;
  return mask(address.value, range.prefix, bits) === range.base;
}

/**
 * Addresses no outbound request reaches unless a deployment allows them:
 * this host, private networks, and ranges that are not the public internet
 * (RFC 6890's special-purpose registries), so a server name, a URL or a
 * pusher pointing at them cannot make this server probe its own network.
 */
export const DEFAULT_DENIED_RANGES: readonly string[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, including cloud metadata services
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, including the broadcast address
  '::/96', // unspecified, and the deprecated IPv4-compatible addresses
  '::1/128', // loopback
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
  '100::/64', // discard-only
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4: embeds an IPv4 address, possibly a private one
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

function mask(value: bigint, prefix: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefix);
  return (value >> hostBits) << hostBits;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(address: string): bigint {
  // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups written another way.
  const text = address.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const value = ipv4Value(v4);
    return `${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  });
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => BigInt(parseInt(g, 16))) : []);
  const before = groups(head);
  const after = groups(tail);
  const zeros = tail === undefined ? [] : new Array<bigint>(8 - before.length - after.length).fill(0n);
  return [...before, ...zeros, ...after].reduce((acc, group) => (acc << 16n) | group, 0n);
}
