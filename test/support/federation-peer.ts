import type { TestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from './embedded-server';
import { clientCall, federatingConfig, startFederatingServer, type ClientAnswer } from './federating-server';
import { startSynapse } from './synapse';

/**
 * The other homeserver of a federation test, whatever implements it: a real
 * Synapse or a second deployment of this server, each on loopback TLS from
 * the test CA.
 */
export interface FederationPeer {
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

export async function startSynapsePeer(certs: TestCertificates): Promise<FederationPeer> {
  const synapse = await startSynapse(certs);
  return { ...synapse, request: (method, path, token, body) => clientCall(synapse.clientUrl, undefined, method, path, token, body) };
}

/** A second Lattice deployment; stop and start keep its data folder and federation port, so it comes back as the same server. */
export async function startLatticePeer(certs: TestCertificates): Promise<FederationPeer> {
  const first = await startFederatingServer(certs);
  const { name, port, dataDir } = first;
  let server: { close(): Promise<void> } | undefined = first;
  let url = first.url;
  const request = (method: string, path: string, token?: string, body?: unknown) => clientCall(url, name, method, path, token, body);
  return {
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
      const restarted = await startEmbeddedServer(federatingConfig(certs, name, port), dataDir);
      server = restarted;
      url = restarted.url;
    },
    stop: async () => {
      await server?.close();
      server = undefined;
    },
  };
}
