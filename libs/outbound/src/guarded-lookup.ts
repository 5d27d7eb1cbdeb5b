import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy';

/** A destination the outbound policy refuses: every address it resolved to is in a refused range. */
export class RefusedDestinationError extends Error {
  constructor(host: string, reasons: string[]) {
    super(`Refused to connect to ${host}: ${reasons.join('; ')}`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for net/tls/http(s) connection options that resolves as the
 * system does, then keeps only the addresses the policy allows. The check is
 * on the very addresses the socket connects to, so a name that resolves to a
 * public address when asked once and a private one when connecting (DNS
 * rebinding) is still refused.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = dnsLookup) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const reasons: string[] = [];
      const allowed = addresses.filter(({ address }) => {
        const verdict = policy.judge(address);
        if (!verdict.allowed) reasons.push(verdict.reason);
        return verdict.allowed;
      });
      if (allowed.length === 0)
        return callback(new RefusedDestinationError(hostname, reasons.length ? reasons : ['it has no address']), []);
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * Throws RefusedDestinationError for an IP literal the policy refuses. Sockets
 * skip `lookup` for IP literals, so a caller connecting to one checks it here.
 */
export function assertAllowedLiteral(policy: AddressPolicy, host: string): void {
  if (!isIP(host)) return;
  const verdict = policy.judge(host);
  if (!verdict.allowed) throw new RefusedDestinationError(host, [verdict.reason]);
}
