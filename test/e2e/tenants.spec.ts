import { request } from 'node:http';
import { startEmbeddedServer } from '../support/embedded-server';

/**
 * Two tenants of one deployment, told apart by the Host header: each has its
 * own users and private data, and a room shared by users of both works.
 */
describe('two tenants in one deployment', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let one: Tenant;
  let two: Tenant;
  let ann: string;
  let ben: string;

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [
        { serverName: 'one.test', registration: { mode: 'open' } },
        { serverName: 'two.test', registration: { mode: 'open' } },
      ],
    });
    one = new Tenant(server.url, 'one.test');
    two = new Tenant(server.url, 'two.test');
    ann = await one.register('ann');
    ben = await two.register('ben');
  }, 60_000);
  afterAll(async () => server.close());

  it('registers each user under the tenant the request was addressed to', async () => {
    expect(await one.call(ann, 'GET', '/account/whoami')).toMatchObject({ status: 200, body: { user_id: '@ann:one.test' } });
    expect(await two.call(ben, 'GET', '/account/whoami')).toMatchObject({ status: 200, body: { user_id: '@ben:two.test' } });
  });

  it('does not accept one tenant\'s access token at the other', async () => {
    expect(await two.call(ann, 'GET', '/account/whoami')).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
  });

  it('keeps the same localpart free on each tenant', async () => {
    expect((await two.call(undefined, 'GET', '/register/available?username=ann')).body).toEqual({ available: true });
    expect((await one.call(undefined, 'GET', '/register/available?username=ann')).body).toMatchObject({ errcode: 'M_USER_IN_USE' });
  });

  it('keeps account data private to its owner', async () => {
    await one.call(ann, 'PUT', '/user/@ann:one.test/account_data/org.example.secret', { v: 1 });
    expect(await two.call(ben, 'GET', '/user/@ann:one.test/account_data/org.example.secret')).toMatchObject({ status: 403 });
  });

  it('shares a room between users of both tenants', async () => {
    const { room_id: roomId } = (await one.call(ann, 'POST', '/createRoom', { invite: ['@ben:two.test'] })).body as { room_id: string };
    expect((await two.call(ben, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    const sent = (await two.call(ben, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hello from two' })).body as { event_id: string };
    const members = (await one.call(ann, 'GET', `/rooms/${encodeURIComponent(roomId)}/joined_members`)).body as { joined: Record<string, unknown> };
    expect(Object.keys(members.joined).sort()).toEqual(['@ann:one.test', '@ben:two.test']);
    const event = (await one.call(ann, 'GET', `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.event_id)}`)).body;
    expect(event).toMatchObject({ sender: '@ben:two.test', content: { body: 'hello from two' } });
  });
});

/** Client-server requests addressed to one tenant by Host header, as DNS would route them. */
class Tenant {
  constructor(
    private readonly url: string,
    private readonly host: string,
  ) {}

  async register(username: string): Promise<string> {
    const { body } = await this.call(undefined, 'POST', '/register', { username, password: 'correct horse', auth: { type: 'm.login.dummy' } });
    return (body as { access_token: string }).access_token;
  }

  call(token: string | undefined, method: string, path: string, body?: object): Promise<{ status: number; body: unknown }> {
    const target = new URL(`${this.url}/_matrix/client/v3${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        { method, headers: { host: this.host, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
