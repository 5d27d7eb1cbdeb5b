import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader } from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src/keyring';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from '../support/embedded-server';
import {
  clientRequest,
  federatingConfig,
  startFederatingServer,
  type ClientAnswer,
  type FederatingServer,
} from '../support/federating-server';

/**
 * Outbound requests refuse private and reserved addresses unless the
 * deployment allows them (config `outbound`). All three deployments run on
 * loopback: `guarded` has the default configuration and may reach none of
 * the others; `host` and `allowed` have the test harness's, which allows
 * loopback, so they federate as usual.
 */
describe('outbound requests to private addresses', () => {
  const certs = makeTestCertificates();
  const ca = [readFileSync(certs.caFile, 'utf8')];
  let guarded: FederatingServer;
  let host: FederatingServer;
  let allowed: FederatingServer;
  let roomId: string;

  async function startGuarded(): Promise<FederatingServer> {
    const port = await freePort();
    const name = `localhost:${port}`;
    const server = await startEmbeddedServer({
      ...federatingConfig(certs, name, port),
      outbound: { allowRanges: [], denyRanges: [] },
    });
    return Object.assign(server, { name, port });
  }

  async function register(server: FederatingServer, username: string): Promise<string> {
    const { body } = await clientRequest(server, 'POST', '/_matrix/client/v3/register', {
      username,
      password: 'outbound pw',
      auth: { type: 'm.login.dummy' },
    });
    return body.access_token as string;
  }

  const join = (server: FederatingServer, token: string, through: string): Promise<ClientAnswer> =>
    clientRequest(
      server,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(through)}`,
      {},
      token,
    );

  beforeAll(async () => {
    [guarded, host, allowed] = await Promise.all([
      startGuarded(),
      startFederatingServer(certs),
      startFederatingServer(certs),
    ]);
    const created = await clientRequest(
      host,
      'POST',
      '/_matrix/client/v3/createRoom',
      { preset: 'public_chat' },
      await register(host, 'hana'),
    );
    roomId = created.body.room_id as string;
  }, 90_000);

  afterAll(async () => {
    await Promise.all([guarded?.close(), host?.close(), allowed?.close()]);
  });

  it('joins a room on a loopback server when the configuration allows loopback', async () => {
    expect(await join(allowed, await register(allowed, 'alex'), host.name)).toMatchObject({
      status: 200,
      body: { room_id: roomId },
    });
  });

  it('refuses to join through a server whose name resolves to loopback, with a Matrix error naming the refusal', async () => {
    const answer = await join(guarded, await register(guarded, 'gwen'), host.name);
    expect(answer).toMatchObject({ status: 502, body: { errcode: 'M_UNKNOWN' } });
    expect(answer.body.error).toMatch(
      /Refused to connect to localhost: .*is a private or reserved address \(allow it with outbound\.allowRanges\)/,
    );
  });

  it('refuses to join through a server named by a loopback IP literal', async () => {
    const answer = await join(guarded, await register(guarded, 'gus'), `127.0.0.1:${host.port}`);
    expect(answer).toMatchObject({ status: 502, body: { errcode: 'M_UNKNOWN' } });
    expect(answer.body.error).toMatch(
      /Refused to connect to 127\.0\.0\.1: 127\.0\.0\.1 is a private or reserved address/,
    );
  });

  it('does not fetch the signing keys of a loopback server, so its signed requests are not authenticated', async () => {
    const path = '/_matrix/federation/v1/query/profile?user_id=%40gwen%3A' + encodeURIComponent(guarded.name);
    const authorization = authorizationHeader(
      { method: 'GET', uri: path, origin: host.name, destination: guarded.name },
      await host.app.get(Keyring).signingKey(host.name),
    );
    const answer = await httpsJson(
      { host: '127.0.0.1', port: guarded.port, hostHeader: guarded.name, tlsName: 'localhost' },
      'GET',
      path,
      { ca, timeoutMs: 10_000, headers: { authorization } },
    );
    expect(answer).toMatchObject({
      status: 401,
      body: { errcode: 'M_UNAUTHORIZED', error: expect.stringMatching(/No valid key/) },
    });
  });
});
