import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Third-party IDs without mail or an identity server, registration token validity, support discovery, TURN and whois. */
describe('account extras', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  const enc = encodeURIComponent;
  const get = async (path: string, who?: Account) => {
    const response = await fetch(`${server.url}${path}`, {
      headers: who ? { authorization: `Bearer ${who.token}` } : {},
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [
        {
          serverName: 'localhost',
          support: {
            contacts: [{ role: 'm.role.admin', email_address: 'admin@example.org' }],
            support_page: 'https://example.org/help',
          },
        },
      ],
      voip: { turnUris: ['turn:turn.example.org:3478?transport=udp'], turnSharedSecret: 'secret', turnTtlSeconds: 600 },
    });
    raw = rawClient(() => server.url);
    alice = await raw.register('extra-alice');
    bob = await raw.register('extra-bob');
  }, 60_000);
  afterAll(async () => server.close());

  describe('third-party identifiers', () => {
    it('lists none', async () => {
      expect((await raw.call(alice, 'GET', '/account/3pid')).body).toEqual({ threepids: [] });
    });

    it('answers every requestToken with M_THREEPID_MEDIUM_NOT_SUPPORTED, after checking the body', async () => {
      const email = { client_secret: 'secret', email: 'a@example.org', send_attempt: 1 };
      const msisdn = { client_secret: 'secret', country: 'GB', phone_number: '07700900000', send_attempt: 1 };
      for (const path of [
        '/register/email/requestToken',
        '/account/3pid/email/requestToken',
        '/account/password/email/requestToken',
      ]) {
        expect((await raw.call(undefined, 'POST', path, email)).body.errcode).toBe('M_THREEPID_MEDIUM_NOT_SUPPORTED');
      }
      for (const path of [
        '/register/msisdn/requestToken',
        '/account/3pid/msisdn/requestToken',
        '/account/password/msisdn/requestToken',
      ]) {
        expect((await raw.call(undefined, 'POST', path, msisdn)).body.errcode).toBe('M_THREEPID_MEDIUM_NOT_SUPPORTED');
      }
      expect(
        (await raw.call(undefined, 'POST', '/register/email/requestToken', { email: 'a@example.org' })).body.errcode,
      ).toBe('M_MISSING_PARAM');
    });

    it('cannot add or bind one, and has nothing to unbind', async () => {
      expect((await raw.call(alice, 'POST', '/account/3pid/add', { client_secret: 's', sid: 'x' })).body.errcode).toBe(
        'M_THREEPID_AUTH_FAILED',
      );
      expect(
        (
          await raw.call(alice, 'POST', '/account/3pid/bind', {
            client_secret: 's',
            sid: 'x',
            id_server: 'id.example.org',
            id_access_token: 't',
          })
        ).body.errcode,
      ).toBe('M_SERVER_NOT_TRUSTED');
      expect(
        (await raw.call(alice, 'POST', '/account/3pid/delete', { medium: 'email', address: 'a@example.org' })).body,
      ).toEqual({ id_server_unbind_result: 'no-support' });
      expect(
        (await raw.call(alice, 'POST', '/account/3pid/unbind', { medium: 'email', address: 'a@example.org' })).body,
      ).toEqual({ id_server_unbind_result: 'no-support' });
    });
  });

  it('answers registration token validity at /v1: 403 where registration uses no tokens', async () => {
    expect(await get('/_matrix/client/v1/register/m.login.registration_token/validity?token=x')).toMatchObject({
      status: 403,
      body: { errcode: 'M_FORBIDDEN' },
    });
  });

  it('serves the tenant’s support contacts', async () => {
    expect((await get('/.well-known/matrix/support')).body).toEqual({
      contacts: [{ role: 'm.role.admin', email_address: 'admin@example.org' }],
      support_page: 'https://example.org/help',
    });
  });

  it('gives TURN credentials made with the shared secret', async () => {
    const { body } = await get('/_matrix/client/v3/voip/turnServer', alice);
    expect(body).toMatchObject({
      uris: ['turn:turn.example.org:3478?transport=udp'],
      ttl: 600,
      username: expect.stringMatching(new RegExp(`^\\d+:${alice.userId}$`)),
      password: expect.any(String),
    });
  });

  it('answers whois for the user themself, with each device, and refuses others', async () => {
    const own = await get(`/_matrix/client/v3/admin/whois/${enc(alice.userId)}`, alice);
    expect(own.body.user_id).toBe(alice.userId);
    expect(Object.keys(own.body.devices)).toEqual([alice.deviceId]);
    expect((await get(`/_matrix/client/v3/admin/whois/${enc(alice.userId)}`, bob)).body.errcode).toBe('M_FORBIDDEN');
  });
});

describe('account extras left unconfigured', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;

  beforeAll(async () => {
    server = await startEmbeddedServer();
  }, 60_000);
  afterAll(async () => server.close());

  it('has no support information and no TURN server', async () => {
    const support = await fetch(`${server.url}/.well-known/matrix/support`);
    expect([support.status, ((await support.json()) as { errcode: string }).errcode]).toEqual([404, 'M_NOT_FOUND']);
    const alice = await rawClient(() => server.url).register('bare-alice');
    expect((await rawClient(() => server.url).call(alice, 'GET', '/voip/turnServer')).body).toEqual({});
  });
});
