import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import {
  authorizationHeader,
  decodeBase64,
  signingKeyFromSeed,
  type JsonObject,
  type SigningKey,
} from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src';
import type { RunningLattice } from '../../libs/runtime/src/start-lattice';
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
  /**
   * A server-server request to `destination` (a `localhost:<port>` server on
   * loopback) signed with the peer's own signing key: what the peer server
   * itself would be answered.
   */
  federationRequest(destination: string, method: string, path: string, body?: JsonObject): Promise<ClientAnswer>;
  /** Registers a user (m.login.dummy) and returns its ID and access token. */
  register(username: string): Promise<{ userId: string; accessToken: string }>;
  /** Starts it again after stop(), with the same data, keys and federation port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sends a request as `origin` with an X-Matrix Authorization header
 * (server-server-api "Request Authentication"), over TLS checked against the
 * test CA, which issued every loopback server's certificate for localhost.
 */
async function signedRequest(
  certs: TestCertificates,
  origin: string,
  key: SigningKey,
  destination: string,
  method: string,
  path: string,
  body?: JsonObject,
): Promise<ClientAnswer> {
  const authorization = authorizationHeader(
    { method, uri: path, origin, destination, ...(body === undefined ? {} : { content: body }) },
    key,
  );
  const port = Number(destination.split(':')[1]);
  const response = await httpsJson(
    { host: '127.0.0.1', port, hostHeader: destination, tlsName: 'localhost' },
    method,
    path,
    {
      ca: [readFileSync(certs.caFile, 'utf8')],
      headers: { authorization },
      body,
      timeoutMs: 10_000,
    },
  );
  return { status: response.status, body: response.body as Record<string, unknown> };
}

/** Synapse's signing key file (signing_key_path) holds one line per key: `ed25519 <version> <unpadded base64 seed>`. */
function synapseSigningKey(dir: string): SigningKey {
  const [algorithm, version, seed] = readFileSync(join(dir, 'signing.key'), 'utf8').trim().split(/\s+/);
  return signingKeyFromSeed(`${algorithm}:${version}`, decodeBase64(seed));
}

export async function startSynapsePeer(certs: TestCertificates): Promise<FederationPeer> {
  const synapse = await startSynapse(certs);
  const key = synapseSigningKey(synapse.dir);
  return {
    ...synapse,
    request: (method, path, token, body) => clientCall(synapse.clientUrl, undefined, method, path, token, body),
    federationRequest: (destination, method, path, body) =>
      signedRequest(certs, synapse.serverName, key, destination, method, path, body),
  };
}

/** A second Lattice deployment; stop and start keep its data folder and federation port, so it comes back as the same server. */
export async function startLatticePeer(certs: TestCertificates): Promise<FederationPeer> {
  const first = await startFederatingServer(certs);
  const { name, port, dataDir } = first;
  let server: RunningLattice | undefined = first;
  let url = first.url;
  const request = (method: string, path: string, token?: string, body?: unknown) =>
    clientCall(url, name, method, path, token, body);
  return {
    serverName: name,
    get clientUrl() {
      return url;
    },
    request,
    federationRequest: async (destination, method, path, body) => {
      if (!server) throw new Error(`Lattice peer ${name} is stopped`);
      // The keyring reads the key the deployment signs with from its signing_keys table.
      const key = await server.app.get(Keyring).signingKey(name);
      return signedRequest(certs, name, key, destination, method, path, body);
    },
    register: async (username) => {
      const { status, body } = await request('POST', '/_matrix/client/v3/register', undefined, {
        username,
        password: 'interop password',
        auth: { type: 'm.login.dummy' },
      });
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
