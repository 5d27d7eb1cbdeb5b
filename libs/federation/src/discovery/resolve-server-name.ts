import { isIP } from 'node:net';
import { parseServerName } from '@lattice/protocol';

/** Where to send a server's federation traffic, and how to address it. */
export interface ServerEndpoint {
  /** Host to connect to: an IP literal or a hostname to resolve with A/AAAA. */
  host: string;
  port: number;
  /** The Host header of every request. */
  hostHeader: string;
  /** The name the TLS certificate must be valid for (and the SNI sent). */
  tlsName: string;
}

export interface SrvTarget {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The lookups discovery needs, injected so the rules can be tested without a network. */
export interface DiscoveryLookups {
  /** `m.server` of https://<hostname>/.well-known/matrix/server, or undefined if it is missing or invalid. */
  wellKnown(hostname: string): Promise<string | undefined>;
  /** SRV records of a name; empty when there are none. */
  srv(name: string): Promise<SrvTarget[]>;
}

const DEFAULT_PORT = 8448;

/**
 * Resolves a server name to where its federation API is, following
 * server-server-api "Resolving server names" step by step. Server names in
 * the Host header and certificate checks are the ones the spec names for
 * each step: delegation through SRV never changes the name the certificate
 * must prove.
 */
export async function resolveServerName(serverName: string, lookups: DiscoveryLookups): Promise<ServerEndpoint> {
  const parsed = parseServerName(serverName);
  if (!parsed) throw new Error(`${serverName} is not a valid server name`);
  const hostname = unbracket(parsed.host);
  // Step 1: an IP literal, with its port or 8448.
  if (isIP(hostname))
    return { host: hostname, port: parsed.port ?? DEFAULT_PORT, hostHeader: serverName, tlsName: hostname };
  // Step 2: a hostname with an explicit port.
  if (parsed.port !== undefined)
    return { host: hostname, port: parsed.port, hostHeader: serverName, tlsName: hostname };

  // Step 3: delegation through /.well-known/matrix/server.
  const delegated = await lookups.wellKnown(hostname);
  const target = delegated === undefined ? undefined : parseServerName(delegated);
  if (delegated !== undefined && target) {
    const delegatedHost = unbracket(target.host);
    // 3.1: an IP literal; 3.2: a hostname with a port.
    if (isIP(delegatedHost) || target.port !== undefined) {
      return { host: delegatedHost, port: target.port ?? DEFAULT_PORT, hostHeader: delegated, tlsName: delegatedHost };
    }
    // 3.3 and 3.4: SRV records of the delegated hostname; 3.5: the delegated hostname on 8448.
    return (
      (await srvEndpoint(delegatedHost, lookups)) ?? {
        host: delegatedHost,
        port: DEFAULT_PORT,
        hostHeader: delegatedHost,
        tlsName: delegatedHost,
      }
    );
  }
  // Steps 4 and 5: SRV records of the hostname; step 6: the hostname on 8448.
  return (
    (await srvEndpoint(hostname, lookups)) ?? {
      host: hostname,
      port: DEFAULT_PORT,
      hostHeader: hostname,
      tlsName: hostname,
    }
  );
}

/** `_matrix-fed._tcp` first, then the deprecated `_matrix._tcp`; the best record by priority, then weight. */
async function srvEndpoint(hostname: string, lookups: DiscoveryLookups): Promise<ServerEndpoint | undefined> {
  for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
    const records = (await lookups.srv(`${service}.${hostname}`)).filter((r) => r.name !== '.' && r.name !== '');
    if (records.length === 0) continue;
    const best = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
    return { host: best.name.replace(/\.$/, ''), port: best.port, hostHeader: hostname, tlsName: hostname };
  }
  return undefined;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
