import type { RunningServer } from './client-flows';
import { rawClient, type Account } from './raw-client';

/** A short lifetime so a test sees a token expire without a long wait. */
export const LIFETIME_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * client-server-api "Refreshing access tokens" and "Soft logout", over HTTP,
 * against a deployment whose access tokens live LIFETIME_MS.
 */
export function refreshTokenFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  let raw: ReturnType<typeof rawClient>;
  let n = 0;

  beforeAll(async () => {
    server = await start();
    raw = rawClient(() => server.url);
  }, 60_000);
  afterAll(async () => server.close());

  async function loginWithRefresh(): Promise<{ account: Account; refreshToken: string; expiresInMs: number }> {
    const account = await raw.register(`refresher${n++}`);
    const { body } = await raw.call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: account.userId },
      password: 'correct horse',
      refresh_token: true,
    });
    return {
      account: { ...account, token: body.access_token as string, deviceId: body.device_id as string },
      refreshToken: body.refresh_token as string,
      expiresInMs: body.expires_in_ms as number,
    };
  }
  const whoami = (account: Account) => raw.call(account, 'GET', '/account/whoami');
  const refresh = (refreshToken: string) => raw.call(undefined, 'POST', '/refresh', { refresh_token: refreshToken });

  it('gives a client that asks at login a refresh token and the access token lifetime', async () => {
    const { refreshToken, expiresInMs } = await loginWithRefresh();
    expect(typeof refreshToken).toBe('string');
    expect(expiresInMs).toBe(LIFETIME_MS);
  });

  it('gives a client that asks at registration a refresh token', async () => {
    const { body } = await raw.call(undefined, 'POST', '/register', {
      username: `registrant${n++}`,
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
      refresh_token: true,
    });
    expect(typeof body.refresh_token).toBe('string');
    expect(body.expires_in_ms).toBe(LIFETIME_MS);
  });

  it('keeps the non-expiring token of a client that did not ask', async () => {
    const account = await raw.register(`plain${n++}`);
    await sleep(LIFETIME_MS + 100);
    expect((await whoami(account)).status).toBe(200);
  });

  it('answers an expired access token with M_UNKNOWN_TOKEN and soft_logout', async () => {
    const { account } = await loginWithRefresh();
    expect((await whoami(account)).status).toBe(200);
    await sleep(LIFETIME_MS + 100);
    const expired = await whoami(account);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
  });

  it('a refresh-token session survives access-token expiry without a new login', async () => {
    const { account, refreshToken } = await loginWithRefresh();
    await sleep(LIFETIME_MS + 100);
    const refreshed = await refresh(refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in_ms).toBe(LIFETIME_MS);
    const me = await whoami({ ...account, token: refreshed.body.access_token as string });
    expect(me.body).toMatchObject({ user_id: account.userId, device_id: account.deviceId });
  });

  it('refuses a refresh token once the access token it was exchanged for is used', async () => {
    const { account, refreshToken } = await loginWithRefresh();
    const refreshed = await refresh(refreshToken);
    expect((await whoami({ ...account, token: refreshed.body.access_token as string })).status).toBe(200);
    const again = await refresh(refreshToken);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
  });

  it('refuses the old access token once the new one is used', async () => {
    const { account, refreshToken } = await loginWithRefresh();
    const refreshed = await refresh(refreshToken);
    expect((await whoami(account)).status).toBe(200);
    expect((await whoami({ ...account, token: refreshed.body.access_token as string })).status).toBe(200);
    expect((await whoami(account)).status).toBe(401);
  });

  it('refuses a refresh token once the refresh token it was exchanged for is used', async () => {
    const { refreshToken } = await loginWithRefresh();
    const first = await refresh(refreshToken);
    expect((await refresh(first.body.refresh_token as string)).status).toBe(200);
    expect((await refresh(refreshToken)).status).toBe(401);
  });

  it('lets a client that lost the answer repeat a refresh', async () => {
    const { refreshToken } = await loginWithRefresh();
    expect((await refresh(refreshToken)).status).toBe(200);
    expect((await refresh(refreshToken)).status).toBe(200);
  });

  it('refuses an unknown refresh token', async () => {
    const answer = await refresh('latr_nonsense');
    expect(answer.status).toBe(401);
    expect(answer.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('refuses the refresh token of a device that logged out', async () => {
    const { account, refreshToken } = await loginWithRefresh();
    await raw.call(account, 'POST', '/logout', {});
    expect((await refresh(refreshToken)).status).toBe(401);
  });
}
