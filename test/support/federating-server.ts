import { freePort } from '../../tools/net/free-port';
import { type TestCertificates } from '../../tools/tls/test-certificates';
import { LOOPBACK_OUTBOUND, startEmbeddedServer } from './embedded-server';

export type FederatingServer = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string; port: number };

/**
 * The configuration of a deployment named `name`, serving federation over TLS on `port` with certificates of the test CA,
 * trusting only that CA, and allowed to reach the other test servers on loopback.
 */
export function federatingConfig(certs: TestCertificates, name: string, port: number): Record<string, unknown> {
  return {
    tenants: [{ serverName: name }],
    federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] },
    outbound: LOOPBACK_OUTBOUND,
  };
}

/**
 * An embedded deployment named `<host>:<port>` (localhost unless told; the
 * test certificates also cover 127.0.0.1), serving federation over TLS on
 * that port with certificates of the test CA.
 */
export async function startFederatingServer(certs: TestCertificates, host = 'localhost'): Promise<FederatingServer> {
  const port = await freePort();
  const name = `${host}:${port}`;
  const server = await startEmbeddedServer(federatingConfig(certs, name, port));
  return Object.assign(server, { name, port });
}

export type ClientAnswer = { status: number; body: Record<string, unknown> };

/** A client-server request to `baseUrl`, with `host` naming the tenant where the server hosts several. */
export async function clientCall(
  baseUrl: string,
  host: string | undefined,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<ClientAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(host ? { host } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A client-server request to a deployment, addressed to its tenant by Host. */
export function clientRequest(
  server: FederatingServer,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<ClientAnswer> {
  return clientCall(server.url, server.name, method, path, token, body);
}
