import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { assertAllowedLiteral, guardedLookup, type AddressPolicy } from '@lattice/outbound';
import type { ServerEndpoint } from '../discovery/resolve-server-name';
import { trusting } from './trust-context';

export interface HttpsJsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body, or undefined when it was not JSON. */
  body: unknown;
}

/** Bodies larger than this are refused: no federation answer we accept is near it. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface HttpsJsonOptions {
  ca: string[];
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  /** The addresses the request may connect to (config `outbound`); a test client talking to loopback leaves it out. */
  addresses?: AddressPolicy;
}

/**
 * Kept-alive connections of requests under each policy, apart from the global
 * pool: a connection is only reused by requests its address was checked for.
 */
const agents = new WeakMap<AddressPolicy, Agent>();

export function agentFor(addresses: AddressPolicy): Agent {
  let agent = agents.get(addresses);
  if (!agent) agents.set(addresses, (agent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 })));
  return agent;
}

/**
 * One HTTPS request to a server endpoint: connects to its host and port,
 * sends its Host header, and accepts only a certificate that chains to `ca`
 * and is valid for the endpoint's TLS name (which after SRV delegation is
 * not the host connected to). With an address policy, a host that is or
 * resolves to a refused address fails with RefusedDestinationError before
 * anything is sent.
 */
export function httpsJson(
  endpoint: ServerEndpoint,
  method: string,
  path: string,
  options: HttpsJsonOptions,
): Promise<HttpsJsonResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    if (options.addresses) assertAllowedLiteral(options.addresses, endpoint.host);
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        ...(options.addresses ? { agent: agentFor(options.addresses), lookup: guardedLookup(options.addresses) } : {}),
        method,
        path,
        ...trusting(options.ca),
        // SNI carries host names only, never IP literals.
        servername: isIP(endpoint.tlsName) ? '' : endpoint.tlsName,
        checkServerIdentity: (_host, cert) => checkServerIdentity(endpoint.tlsName, cert),
        headers: {
          host: endpoint.hostHeader,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES)
            req.destroy(new Error(`Response from ${endpoint.hostHeader} is larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${endpoint.hostHeader}${path} timed out after ${options.timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}
