import type { TestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from './embedded-server';
import { federatingConfig, startFederatingServer } from './federating-server';
import { startSynapse } from './synapse';

export type ClientAnswer = { status: number; body: Record<string, unknown> };

/**
 * The other homeserver of a federation test, whatever implements it: a real
 * Synapse or a second deployment of this server, each on loopback TLS from
 * the test CA.
 */
export interface FederationPeer {
  kind: 'synapse' | 'lattice';
  serverName: string;
  /** Base URL of its client-server API; read it each time, a restarted Lattice listens on a new port. */
  readonly clientUrl: string;
  /** A client-server request (`path` from /_matrix on). */
  request(method: string, path: string, token?: string, body?: unknown): Promise<ClientAnswer>;
  /** Registers a user (m.login.dummy) and returns its ID and access token. */
  register(username: string): Promise<{ userId: string; accessToken: string }>;
  /** Starts it again after stop(), with the same data, keys and federation port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A client-server request to `baseUrl`, with `host` naming the tenant where the server hosts several. */
export async function clientCall(baseUrl: string, host: string | undefined, method: string, path: string, token?: string, body?: unknown): Promise<ClientAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(host ? { host } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function startSynapsePeer(certs: TestCertificates): Promise<FederationPeer> {
  const synapse = await startSynapse(certs);
  return { ...synapse, kind: 'synapse', request: (method, path, token, body) => clientCall(synapse.clientUrl, undefined, method, path, token, body) };
}

/** A second Lattice deployment; stop and start keep its data folder and federation port, so it comes back as the same server. */
export async function startLatticePeer(certs: TestCertificates): Promise<FederationPeer> {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>> | undefined = await startFederatingServer(certs);
  const { name, port, dataDir } = server as Awaited<ReturnType<typeof startFederatingServer>>;
  let url = server.url;
  const request = (method: string, path: string, token?: string, body?: unknown) => clientCall(url, name, method, path, token, body);
  return {
    kind: 'lattice',
    serverName: name,
    get clientUrl() {
      return url;
    },
    request,
    register: async (username) => {
      const { status, body } = await request('POST', '/_matrix/client/v3/register', undefined, { username, password: 'interop password', auth: { type: 'm.login.dummy' } });
      if (status !== 200) throw new Error(`Lattice register ${username}: ${JSON.stringify(body)}`);
      return { userId: body.user_id as string, accessToken: body.access_token as string };
    },
    start: async () => {
      server = await startEmbeddedServer(federatingConfig(certs, name, port), dataDir);
      url = server.url;
    },
    stop: async () => {
      await server?.close();
      server = undefined;
    },
  };
}
