import { Logger } from '@nestjs/common';
import { resolveSrv } from 'node:dns/promises';
import type { AddressPolicy } from '@lattice/outbound';
import { httpsJson } from '../client/https-json';
import type { DiscoveryLookups, SrvTarget } from './resolve-server-name';

/** How long a /.well-known answer is kept (the spec's recommended default), and a failure. */
const WELL_KNOWN_TTL_MS = 24 * 3600_000;
const FAILURE_TTL_MS = 3600_000;
const MAX_REDIRECTS = 5;

/**
 * Discovery over the network: /.well-known/matrix/server over HTTPS on 443
 * (redirects followed, answers and failures cached) and SRV records from DNS.
 */
export class NetworkLookups implements DiscoveryLookups {
  private readonly logger = new Logger(NetworkLookups.name);
  private readonly wellKnownCache = new Map<string, { value: string | undefined; expires: number }>();

  constructor(private readonly options: { ca: string[]; timeoutMs: number; addresses: AddressPolicy }) {}

  async wellKnown(hostname: string): Promise<string | undefined> {
    const cached = this.wellKnownCache.get(hostname);
    if (cached && cached.expires > Date.now()) return cached.value;
    const value = await this.fetchWellKnown(hostname).catch((e: unknown) => {
      this.logger.debug(`No .well-known for ${hostname}; the server name is used as is: ${String(e)}`);
      return undefined;
    });
    this.wellKnownCache.set(hostname, {
      value,
      expires: Date.now() + (value === undefined ? FAILURE_TTL_MS : WELL_KNOWN_TTL_MS),
    });
    return value;
  }

  async srv(name: string): Promise<SrvTarget[]> {
    return resolveSrv(name).catch(() => []);
  }

  private async fetchWellKnown(hostname: string): Promise<string | undefined> {
    let url = new URL(`https://${hostname}/.well-known/matrix/server`);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const port = Number(url.port || 443);
      const response = await httpsJson(
        { host: url.hostname, port, hostHeader: url.host, tlsName: url.hostname },
        'GET',
        url.pathname + url.search,
        {
          ca: this.options.ca,
          timeoutMs: this.options.timeoutMs,
          addresses: this.options.addresses,
        },
      );
      const location = response.headers.location;
      if (response.status >= 300 && response.status < 400 && typeof location === 'string') {
        url = new URL(location, url);
        if (url.protocol !== 'https:') return undefined;
        continue;
      }
      const server = (response.body as { 'm.server'?: unknown } | undefined)?.['m.server'];
      return response.status === 200 && typeof server === 'string' ? server : undefined;
    }
    return undefined;
  }
}
