import { DEFAULT_DENIED_RANGES, parseCidr, parseIp, rangeContains, type IpRange } from './ip-ranges';

/** The ranges a deployment configures (config `outbound`), as CIDR strings. */
export interface OutboundRanges {
  /** Reachable despite the default denial (e.g. 127.0.0.0/8 for servers on one machine). */
  allowRanges: readonly string[];
  /** Refused on top of the default denial; of an allow and a deny range that both match, the narrower decides, deny on a tie. */
  denyRanges: readonly string[];
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Which addresses outbound requests (federation, and later URL previews and
 * push gateways) may connect to. The configured ranges decide first, the
 * most specific matching one winning (a deny on a tie), as a routing table
 * would: so `denyRanges: [0.0.0.0/0, ::/0]` with `allowRanges: [127.0.0.0/8,
 * ::1/128]` reaches this machine only. With no configured range matching,
 * the default denial (DEFAULT_DENIED_RANGES) refuses; anything else is the
 * public internet and is permitted.
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
    const narrowest = (ranges: IpRange[]) =>
      Math.max(-1, ...ranges.filter((r) => rangeContains(r, address)).map((r) => r.prefix));
    const denied = narrowest(this.deny);
    const allowed = narrowest(this.allow);
    if (denied >= 0 && denied >= allowed) return { allowed: false, reason: `${addressText} is in outbound.denyRanges` };
    if (allowed >= 0) return { allowed: true };
    if (this.defaults.some((r) => rangeContains(r, address)))
      return {
        allowed: false,
        reason: `${addressText} is a private or reserved address (allow it with outbound.allowRanges)`,
      };
    return { allowed: true };
  }
}

function requireCidr(text: string): IpRange {
  const range = parseCidr(text);
  if (!range) throw new Error(`${text} is not a CIDR range`);
  return range;
}
