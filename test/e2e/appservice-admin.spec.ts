import { randomBytes } from 'node:crypto';
import { dump } from 'js-yaml';
import { AppService } from 'matrix-appservice';
import { freePort } from '../../tools/net/free-port';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

const OPERATOR = 'operator-token-for-appservice-tests';

/**
 * Application services registered through the operator's admin API
 * (/_lattice/admin/v1/tenants/{serverName}/appservices) instead of a file:
 * checked as files are, live at once, removable.
 */
jest.setTimeout(60_000);

describe('application services through the admin API', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let service: AppService;
  let port: number;
  let alice: Account;
  const events: Array<Record<string, unknown>> = [];
  const asToken = randomBytes(16).toString('hex');
  const hsToken = randomBytes(16).toString('hex');

  const registration = (overrides: Record<string, unknown> = {}) => ({
    id: 'admin-bridge',
    url: `http://127.0.0.1:${port}`,
    as_token: asToken,
    hs_token: hsToken,
    sender_localpart: '_adm_bot',
    namespaces: { users: [{ exclusive: true, regex: '@_adm_.*' }], aliases: [], rooms: [] },
    rate_limited: false,
    ...overrides,
  });

  const operator = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/_lattice/admin/v1/tenants/localhost/appservices${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const asService = (path: string, method = 'GET', body?: unknown) =>
    raw.call({ userId: '', deviceId: '', token: asToken }, method, path, body);

  async function until<T>(what: string, check: () => T | undefined | false, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    port = await freePort();
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost' }],
      admin: { operatorToken: OPERATOR },
      appservices: { retryInitialMs: 100, retryMaxMs: 400 },
    });
    raw = rawClient(() => server.url);
    alice = await raw.register('alice');
    service = new AppService({ homeserverToken: hsToken });
    service.on('event', (event) => void events.push(event));
    await service.listen(port, '127.0.0.1', 10);
  }, 60_000);
  afterAll(async () => {
    await service.close();
    await server.close();
  });

  it('refuses a registration whose regex does not compile, with the reason, and stores nothing', async () => {
    const bad = await operator(
      'POST',
      '',
      registration({ namespaces: { users: [{ exclusive: true, regex: '@_adm_(' }] } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    expect(bad.body.error).toMatch(/namespaces\.users\[0\]/);
    expect((await operator('GET', '')).body).toEqual({ appservices: [] });
    expect((await asService('/account/whoami')).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('registers a service from its YAML file (as a JSON string), whose as_token then works and which receives transactions', async () => {
    const added = await operator('POST', '', dump(registration()));
    expect(added).toMatchObject({ status: 200, body: { id: 'admin-bridge', sender: '@_adm_bot:localhost' } });
    expect(added.body).not.toHaveProperty('as_token');
    expect((await operator('GET', '')).body.appservices).toEqual([
      expect.objectContaining({ id: 'admin-bridge', source: 'database' }),
    ]);

    expect((await asService('/account/whoami')).body).toMatchObject({ user_id: '@_adm_bot:localhost' });
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    expect((await asService(`/join/${encodeURIComponent(roomId)}`, 'POST', {})).status).toBe(200);
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
      msgtype: 'm.text',
      body: 'hello admin bridge',
    });
    const pushed = await until('the message in a transaction', () =>
      events.find((e) => e.event_id === sent.body.event_id),
    );
    expect(pushed).toMatchObject({ room_id: roomId, content: { body: 'hello admin bridge' } });
  });

  it('removes a service added at run time: its as_token stops working', async () => {
    expect((await operator('DELETE', '/admin-bridge')).status).toBe(200);
    expect((await asService('/account/whoami')).body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await operator('DELETE', '/admin-bridge')).status).toBe(404);
  });

  it('is the operator’s only', async () => {
    const response = await fetch(`${server.url}/_lattice/admin/v1/tenants/localhost/appservices`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(401);
  });
});
