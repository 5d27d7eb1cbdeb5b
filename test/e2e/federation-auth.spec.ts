import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader, generateSigningKey, type SigningKey } from '../../libs/protocol/src';
import { Keyring } from '../../libs/room-server/src/keyring';
import { startEmbeddedServer } from '../support/embedded-server';
import { freePort, makeTestCertificates } from '../support/test-ca';

type Server = Awaited<ReturnType<typeof startEmbeddedServer>> & { name: string; port: number };

/**
 * Two deployments of this server federating over TLS (a throwaway CA), and
 * what the receiving side does with requests that are not properly signed
 * (server-server-api "Request Authentication").
 */
describe('federation request authentication between two deployments', () => {
  const certs = makeTestCertificates();
  const ca = [readFileSync(certs.caFile, 'utf8')];
  let a: Server;
  let b: Server;
  let bKey: SigningKey;
  let aliceId: string;

  async function start(): Promise<Server> {
    const port = await freePort();
    const name = `localhost:${port}`;
    const server = await startEmbeddedServer({ tenants: [{ serverName: name }], federation: { tls: { port, certFile: certs.certFile, keyFile: certs.keyFile }, trustedCaFiles: [certs.caFile] } });
    return Object.assign(server, { name, port });
  }

  async function client(server: Server, method: string, path: string, body?: unknown, token?: string) {
    const response = await fetch(`${server.url}${path}`, { method, headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A federation request to A, with whatever Authorization header the case needs. */
  function toA(path: string, authorization?: string) {
    return httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, 'GET', path, { ca, timeoutMs: 10_000, headers: authorization ? { authorization } : {} });
  }

  const profilePath = () => `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(aliceId)}`;
  const signedByB = (overrides: { uri?: string; destination?: string; key?: SigningKey; origin?: string } = {}) =>
    authorizationHeader({ method: 'GET', uri: overrides.uri ?? profilePath(), origin: overrides.origin ?? b.name, destination: overrides.destination ?? a.name }, overrides.key ?? bKey);

  beforeAll(async () => {
    [a, b] = await Promise.all([start(), start()]);
    bKey = await b.app.get(Keyring).signingKey(b.name);
    const registered = await client(a, 'POST', '/_matrix/client/v3/register', { username: 'alice', password: 'pw pw pw', auth: { type: 'm.login.dummy' } });
    aliceId = registered.body.user_id as string;
    await client(a, 'PUT', `/_matrix/client/v3/profile/${encodeURIComponent(aliceId)}/displayname`, { displayname: 'Alice' }, registered.body.access_token as string);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers a request signed by the origin, after fetching its key over TLS', async () => {
    expect(await toA(profilePath(), signedByB())).toMatchObject({ status: 200, body: { displayname: 'Alice' } });
  });

  it('serves a user of one deployment to a client of the other through federation', async () => {
    expect(await client(b, 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(aliceId)}`)).toEqual({ status: 200, body: { displayname: 'Alice' } });
  });

  it.each([
    ['no Authorization header', () => undefined, /Missing X-Matrix/],
    ['a header that is not X-Matrix', () => 'Bearer something', /Malformed/],
    ['a request signed for another destination', () => signedByB({ destination: 'elsewhere.example' }), /not localhost/],
    ['a signature over another path', () => signedByB({ uri: '/_matrix/federation/v1/query/profile?user_id=%40bob%3Aelsewhere' }), /Invalid signature/],
    ['a key the origin never published', () => signedByB({ key: generateSigningKey('forged') }), /No valid key ed25519:forged/],
    ['a signature by the right key ID but another key', () => signedByB({ key: { ...generateSigningKey(), keyId: bKey.keyId } as SigningKey }), /Invalid signature/],
    ['an origin that cannot be reached for its key', () => signedByB({ origin: 'localhost:1' }), /No valid key/],
  ])('refuses %s with 401 M_UNAUTHORIZED', async (_what, header, message) => {
    const { status, body } = await toA(profilePath(), header());
    expect({ status, errcode: (body as { errcode: string }).errcode }).toEqual({ status: 401, errcode: 'M_UNAUTHORIZED' });
    expect((body as { error: string }).error).toMatch(message);
  });
});
