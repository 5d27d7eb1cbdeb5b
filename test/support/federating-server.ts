import { freePort, type TestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from './embedded-server';

export type FederatingServer = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string; port: number };

/** An embedded deployment named `localhost:<port>`, serving federation over TLS on that port with certificates of the test CA. */
export async function startFederatingServer(certs: TestCertificates): Promise<FederatingServer> {
  const port = await freePort();
  const name = `localhost:${port}`;
  const server = await startEmbeddedServer({ tenants: [{ serverName: name }], federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] } });
  return Object.assign(server, { name, port });
}
