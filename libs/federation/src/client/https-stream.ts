import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { assertAllowedLiteral, guardedLookup, type AddressPolicy } from '@lattice/outbound';
import type { ServerEndpoint } from '../discovery/resolve-server-name';
import { agentFor } from './https-json';
import { trusting } from './trust-context';

export interface HttpsStreamOptions {
  ca: string[];
  headers?: Record<string, string>;
  /** Until the answer's headers arrive; the body then streams at the reader's pace. */
  timeoutMs: number;
  addresses: AddressPolicy;
}

/**
 * A bodiless request to a server endpoint whose answer is read as a stream
 * (media, which may be far larger than any JSON answer): the same
 * connection rules as httpsJson (certificate for the endpoint's TLS name,
 * addresses checked against the outbound policy). The caller reads or
 * destroys the returned body.
 */
export function httpsStream(
  endpoint: ServerEndpoint,
  method: string,
  path: string,
  options: HttpsStreamOptions,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    assertAllowedLiteral(options.addresses, endpoint.host);
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        agent: agentFor(options.addresses),
        lookup: guardedLookup(options.addresses),
        method,
        path,
        ...trusting(options.ca),
        servername: isIP(endpoint.tlsName) ? '' : endpoint.tlsName,
        checkServerIdentity: (_host, cert) => checkServerIdentity(endpoint.tlsName, cert),
        headers: { host: endpoint.hostHeader, ...options.headers },
      },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`${method} ${endpoint.hostHeader}${path} timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
