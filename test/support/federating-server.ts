import { startEmbeddedServer } from './embedded-server';
import { freePort, type makeTestCertificates } from '../../tools/tls/test-certificates';

export type FederatingServer = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string; port: number };

/** An embedded deployment named localhost:<port> that serves federation over TLS on that port and trusts the test CA. */
export async function startFederatingServer(certs: ReturnType<typeof makeTestCertificates>): Promise<FederatingServer> {
  const port = await freePort();
  const name = `localhost:${port}`;
  const server = await startEmbeddedServer({ tenants: [{ serverName: name }], federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] } });
  return Object.assign(server, { name, port });
}

/** A client-server request to a deployment, addressed to its tenant by Host. */
export async function clientRequest(server: FederatingServer, method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${server.url}${path}`, { method, headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
