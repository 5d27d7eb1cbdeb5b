import { startEmbeddedServer } from '../support/embedded-server';
import { newClient, registerClient } from '../support/matrix-client';

/** A short lifetime so the test sees a token expire without a long wait. */
const LIFETIME_MS = 1500;

/**
 * matrix-js-sdk refreshes tokens on its own only for OAuth 2.0 sessions; with the legacy API the
 * application calls `refreshToken()` itself, which this drives.
 */
describe('refresh tokens through matrix-js-sdk', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;

  beforeAll(async () => {
    server = await startEmbeddedServer({ auth: { accessTokenLifetimeMs: LIFETIME_MS } });
  }, 60_000);
  afterAll(async () => server.close());

  it('refreshes an expired session with the legacy /refresh and goes on with the new token', async () => {
    const registered = await registerClient(server.url, 'sdkrefresher');
    const userId = registered.getUserId()!;
    const anonymous = await newClient({ baseUrl: server.url });
    const login = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password: 'correct horse',
      refresh_token: true,
    });
    expect(login.expires_in_ms).toBe(LIFETIME_MS);
    const client = await newClient({
      baseUrl: server.url,
      userId,
      deviceId: login.device_id,
      accessToken: login.access_token,
    });
    await new Promise((resolve) => setTimeout(resolve, LIFETIME_MS + 100));
    await expect(client.whoami()).rejects.toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', data: { soft_logout: true } });

    const refreshed = await client.refreshToken(login.refresh_token!);
    client.setAccessToken(refreshed.access_token);
    expect(await client.whoami()).toMatchObject({ user_id: userId, device_id: login.device_id });
  });
});
