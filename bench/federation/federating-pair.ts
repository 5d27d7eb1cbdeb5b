import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { parseConfig } from '../../libs/config/src';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { freePort } from '../../tools/net/free-port';
import type { TestCertificates } from '../../tools/tls/test-certificates';

export type Deployment = RunningLattice & { name: string; port: number };

/**
 * Two embedded deployments of this server on loopback that federate with each other over TLS (a throwaway CA),
 * each named `localhost:<its federation port>`.
 */
export async function startFederatingPair(
  certs: TestCertificates,
  dataPrefix: string,
): Promise<[Deployment, Deployment]> {
  const start = async (): Promise<Deployment> => {
    const port = await freePort();
    const name = `localhost:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), dataPrefix));
    const config = parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      tenants: [{ serverName: name }],
      dataDir,
      database: { kind: 'embedded', dataDir: join(dataDir, 'db') },
      rateLimit: { perSecond: 100_000, burst: 100_000 },
      federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] },
      // Both deployments are on this machine, which outbound requests refuse by default.
      outbound: { allowRanges: ['127.0.0.0/8', '::1/128'], denyRanges: ['0.0.0.0/0', '::/0'] },
    });
    return Object.assign(await startLattice(config, { logger: false }), { name, port });
  };
  return [await start(), await start()];
}

/** A client-server request to a deployment, as its users' client makes it; the answer's JSON. */
export async function clientRequest(
  server: Deployment,
  method: string,
  path: string,
  body?: object,
  token?: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body && JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** Registers a user on a deployment; the answer (access_token, user_id). */
export function registerUser(server: Deployment, username: string): Promise<Record<string, unknown>> {
  return clientRequest(server, 'POST', '/_matrix/client/v3/register', {
    username,
    password: 'bench password',
    auth: { type: 'm.login.dummy' },
  });
}
