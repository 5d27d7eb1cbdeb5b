import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** client-server-api POST /login/get_token and the m.login.token login type, over HTTP. */
describe('login tokens', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('tokenlogin');
  }, 60_000);
  afterAll(async () => server.close());

  const getToken = async (auth?: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/_matrix/client/v1/login/get_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify(auth === undefined ? {} : { auth }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const withPassword = (session: string) => ({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: alice.userId },
    password: 'correct horse',
    session,
  });
  const loginWith = (token: string) => raw.call(undefined, 'POST', '/login', { type: 'm.login.token', token });

  it('advertises the m.login.token flow with get_login_token beside m.login.password', async () => {
    const { body } = await raw.call(undefined, 'GET', '/login');
    expect(body.flows).toEqual([
      { type: 'm.login.password' },
      { type: 'm.login.token', get_login_token: true },
      { type: 'm.login.application_service' },
    ]);
  });

  it('offers m.get_login_token in /capabilities', async () => {
    const { body } = await raw.call(alice, 'GET', '/capabilities');
    expect((body.capabilities as Record<string, unknown>)['m.get_login_token']).toEqual({ enabled: true });
  });

  it('get_token asks for the password with a user-interactive auth challenge', async () => {
    const challenge = await getToken();
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    expect(typeof challenge.body.session).toBe('string');
  });

  it('get_token refuses a wrong password', async () => {
    const challenge = await getToken();
    const wrong = await getToken({ ...withPassword(challenge.body.session as string), password: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
  });

  it('a login token signs a new device in once and not twice', async () => {
    const challenge = await getToken();
    const issued = await getToken(withPassword(challenge.body.session as string));
    expect(issued.status).toBe(200);
    expect(issued.body.expires_in_ms).toBe(120_000);
    const first = await loginWith(issued.body.login_token as string);
    expect(first.status).toBe(200);
    expect(first.body.user_id).toBe(alice.userId);
    expect(first.body.device_id).not.toBe(alice.deviceId);
    const me = await raw.call({ ...alice, token: first.body.access_token as string }, 'GET', '/account/whoami');
    expect(me.body.user_id).toBe(alice.userId);
    const second = await loginWith(issued.body.login_token as string);
    expect(second.status).toBe(403);
    expect(second.body.errcode).toBe('M_FORBIDDEN');
  });

  it('refuses an unknown login token with M_FORBIDDEN', async () => {
    const answer = await loginWith('latl_nonsense');
    expect(answer.status).toBe(403);
    expect(answer.body.errcode).toBe('M_FORBIDDEN');
  });
});
