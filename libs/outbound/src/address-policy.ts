import { DEFAULT_DENIED_RANGES, parseCidr, parseIp, rangeContains, type IpRange } from './ip-ranges';

/** The ranges a deployment configures (config `outbound`), as CIDR strings. */
export interface OutboundRanges {
  /** Reachable despite the default denial (e.g. 127.0.0.0/8 for servers on one machine). */
  allowRanges: readonly string[];
  /** Refused on top of the default denial; wins over allowRanges. */
  denyRanges: readonly string[];
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Which addresses outbound requests (federation, and later URL previews and
 * push gateways) may connect to. The order is: a configured deny range
 * refuses; else a configured allow range permits; else the default denial
 * (DEFAULT_DENIED_RANGES) refuses; anything else is the public internet and
 * is permitted.
 */
export class AddressPolicy {
  private readonly allow: IpRange[];
  private readonly deny: IpRange[];
  private readonly defaults: IpRange[];

  constructor(ranges: OutboundRanges) {
    this.allow = ranges.allowRanges.map(requireCidr);
    this.deny = ranges.denyRanges.map(requireCidr);
    this.defaults = DEFAULT_DENIED_RANGES.map(requireCidr);
  }

  judge(addressText: string): AddressVerdict {
    const address = parseIp(addressText);
    if (!address) return { allowed: false, reason: `${addressText} is not an IP address` };
    if (this.deny.some((r) => rangeContains(r, address))) return { allowed: false, reason: `${addressText} is in outbound.denyRanges` };
    if (this.allow.some((r) => rangeContains(r, address))) return { allowed: true };
    if (this.defaults.some((r) => rangeContains(r, address))) return { allowed: false, reason: `${addressText} is a private or reserved address (allow it with outbound.allowRanges)` };
    return { allowed: true };
  }
}

function requireCidr(text: string): IpRange {
  const range = parseCidr(text);
  if (!range) throw new Error(`${text} is not a CIDR range`);
  return range;
}
