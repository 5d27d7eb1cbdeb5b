import { AppService } from 'matrix-appservice';
import { AppserviceRegistry } from '../../libs/appservice-registry/src';
import { freePort } from '../../tools/net/free-port';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { writeRegistration, type TestRegistration } from '../support/appservice-registration';

/**
 * application-service-api against the single process, with matrix-appservice (the HTTP side most
 * Node bridges are built on) as the service: what an as_token may do on the client-server API, and
 * the transactions pushed to the service.
 */
// Transactions arrive asynchronously, and a loaded machine takes seconds where an idle one takes milliseconds.
jest.setTimeout(60_000);

describe('application services', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let registration: TestRegistration;
  let service: AppService;
  let port: number;
  let alice: Account;
  const events: Array<Record<string, unknown>> = [];
  const ephemeral: Array<Record<string, unknown>> = [];

  const asService = (userId?: string): Account => ({ userId: userId ?? '', deviceId: '', token: registration.asToken });
  const call = (method: string, path: string, body?: unknown, userId?: string) =>
    raw.call(
      asService(),
      method,
      userId ? `${path}${path.includes('?') ? '&' : '?'}user_id=${encodeURIComponent(userId)}` : path,
      body,
    );

  async function startService(): Promise<void> {
    service = new AppService({ homeserverToken: registration.hsToken });
    service.on('event', (event) => void events.push(event));
    service.on('ephemeral', (event) => void ephemeral.push(event));
    await service.listen(port, '127.0.0.1', 10);
  }

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
    registration = writeRegistration({
      id: 'test-bridge',
      url: `http://127.0.0.1:${port}`,
      prefix: '_test_',
      extra: { receive_ephemeral: true },
    });
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registration.path] }],
      appservices: { retryInitialMs: 100, retryMaxMs: 400 },
    });
    raw = rawClient(() => server.url);
    alice = await raw.register('alice');
    await startService();
  }, 60_000);
  afterAll(async () => {
    await service.close();
    await server.close();
  });

  it('registers a user of its namespace with m.login.application_service, and no user outside it (M_EXCLUSIVE)', async () => {
    const made = await call('POST', '/register', {
      type: 'm.login.application_service',
      username: '_test_carol',
      inhibit_login: true,
    });
    expect(made).toEqual({ status: 200, body: { user_id: '@_test_carol:localhost' } });
    const outside = await call('POST', '/register', {
      type: 'm.login.application_service',
      username: 'dave',
      inhibit_login: true,
    });
    expect(outside.status).toBe(400);
    expect(outside.body.errcode).toBe('M_EXCLUSIVE');
  });

  it('refuses m.login.application_service without a valid as_token (401)', async () => {
    const missing = await raw.call(undefined, 'POST', '/register', {
      type: 'm.login.application_service',
      username: '_test_x',
    });
    expect([missing.status, missing.body.errcode]).toEqual([401, 'M_MISSING_TOKEN']);
    const unknown = await raw.call({ ...alice, token: 'not-a-service' }, 'POST', '/register', {
      type: 'm.login.application_service',
      username: '_test_x',
    });
    expect([unknown.status, unknown.body.errcode]).toEqual([401, 'M_UNKNOWN_TOKEN']);
  });

  it('refuses a normal user a user ID of an exclusive namespace (M_EXCLUSIVE)', async () => {
    const taken = await raw.call(undefined, 'POST', '/register', {
      username: '_test_mallory',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    expect([taken.status, taken.body.errcode]).toEqual([400, 'M_EXCLUSIVE']);
  });

  it('logs in a user of its namespace with m.login.application_service', async () => {
    const login = await call('POST', '/login', {
      type: 'm.login.application_service',
      identifier: { type: 'm.id.user', user: '_test_carol' },
    });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe('@_test_carol:localhost');
    const whoami = await raw.call(
      { userId: '', deviceId: '', token: login.body.access_token as string },
      'GET',
      '/account/whoami',
    );
    expect(whoami.body.user_id).toBe('@_test_carol:localhost');
  });

  it('acts as its sender, or as the user_id of its namespace it names; not as anyone else', async () => {
    expect((await call('GET', '/account/whoami')).body.user_id).toBe(`@${registration.senderLocalpart}:localhost`);
    expect((await call('GET', '/account/whoami', undefined, '@_test_carol:localhost')).body.user_id).toBe(
      '@_test_carol:localhost',
    );
    const other = await call('GET', '/account/whoami', undefined, alice.userId);
    expect([other.status, other.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const unregistered = await call('GET', '/account/whoami', undefined, '@_test_nobody:localhost');
    expect([unregistered.status, unregistered.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('refuses a device_id the masqueraded user does not have (M_UNKNOWN_DEVICE)', async () => {
    const answer = await call('GET', '/account/whoami?device_id=NOSUCHDEVICE', undefined, '@_test_carol:localhost');
    expect([answer.status, answer.body.errcode]).toEqual([400, 'M_UNKNOWN_DEVICE']);
  });

  it('sets origin_server_ts from ts on sends, and refuses a ts that is not a timestamp', async () => {
    const room = await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' });
    const roomId = room.body.room_id as string;
    await call('POST', `/join/${encodeURIComponent(roomId)}`, {}, '@_test_carol:localhost');
    const sent = await call(
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/ts1?ts=1234567890123`,
      { msgtype: 'm.text', body: 'from the past' },
      '@_test_carol:localhost',
    );
    const event = await raw.call(
      alice,
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.body.event_id as string)}`,
    );
    expect(event.body.origin_server_ts).toBe(1234567890123);
    const bad = await call(
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/ts2?ts=soon`,
      { msgtype: 'm.text', body: 'x' },
      '@_test_carol:localhost',
    );
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('pushes the events of a room one of its users is in, with typing as ephemeral data', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await call('POST', `/join/${encodeURIComponent(roomId)}`, {}, '@_test_carol:localhost');
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/push1`, {
      msgtype: 'm.text',
      body: 'hello bridge',
    });
    const pushed = await until('the message in a transaction', () =>
      events.find((e) => e.event_id === sent.body.event_id),
    );
    expect(pushed).toMatchObject({
      room_id: roomId,
      sender: alice.userId,
      type: 'm.room.message',
      content: { body: 'hello bridge' },
    });
    await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, {
      typing: true,
      timeout: 10_000,
    });
    const typing = await until('typing in a transaction', () =>
      ephemeral.find((e) => e.type === 'm.typing' && e.room_id === roomId),
    );
    expect(typing.content).toEqual({ user_ids: [alice.userId] });
  });

  it('pushes nothing of a room none of its users is in', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/private1`, {
      msgtype: 'm.text',
      body: 'not for the bridge',
    });
    const marker = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await call('POST', `/join/${encodeURIComponent(marker)}`, {}, '@_test_carol:localhost');
    await until('a later event of a bridged room', () =>
      events.find((e) => e.room_id === marker && e.type === 'm.room.member'),
    );
    expect(events.find((e) => e.event_id === sent.body.event_id)).toBeUndefined();
  });

  it('gets every transaction, in order, after being away', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await call('POST', `/join/${encodeURIComponent(roomId)}`, {}, '@_test_carol:localhost');
    await until('the join', () => events.find((e) => e.room_id === roomId && e.state_key === '@_test_carol:localhost'));
    await service.close();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      sent.push(
        (
          await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/away${i}`, {
            msgtype: 'm.text',
            body: `while away ${i}`,
          })
        ).body.event_id as string,
      );
    }
    // Longer than the backoff's ceiling several times over: the sender keeps trying.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await startService();
    await until('every message', () => sent.every((id) => events.some((e) => e.event_id === id)));
    const received = events.filter((e) => sent.includes(e.event_id as string)).map((e) => e.event_id);
    expect(received).toEqual(sent);
  });

  it('asks the service about an unknown user of its namespace, which may create it then', async () => {
    const asked: string[] = [];
    service.onUserQuery = (userId: string) => {
      asked.push(userId);
      return call('POST', '/register', {
        type: 'm.login.application_service',
        username: userId.slice(1, userId.indexOf(':')),
        inhibit_login: true,
      }).then(() => undefined);
    };
    const profile = await raw.call(alice, 'GET', `/profile/${encodeURIComponent('@_test_ondemand:localhost')}`);
    expect(asked).toEqual(['@_test_ondemand:localhost']);
    expect(profile.status).toBe(200);
  });

  it('creates aliases only in its namespaces, and refuses them to anyone else (M_EXCLUSIVE)', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    const byAlice = await raw.call(alice, 'PUT', `/directory/room/${encodeURIComponent('#_test_room:localhost')}`, {
      room_id: roomId,
    });
    expect([byAlice.status, byAlice.body.errcode]).toEqual([400, 'M_EXCLUSIVE']);
    const outside = await call('PUT', `/directory/room/${encodeURIComponent('#elsewhere:localhost')}`, {
      room_id: roomId,
    });
    expect([outside.status, outside.body.errcode]).toEqual([400, 'M_EXCLUSIVE']);
  });

  it('takes a registration added at run time (the store the admin API writes) as it takes a file', async () => {
    const added = writeRegistration({ id: 'added-later', url: null, prefix: '_later_' });
    await server.app.get(AppserviceRegistry).register('localhost', added.yaml);
    const whoami = await raw.call({ userId: '', deviceId: '', token: added.asToken }, 'GET', '/account/whoami');
    expect(whoami.body.user_id).toBe('@_later_bot:localhost');
    const taken = await raw.call(undefined, 'POST', '/register', {
      username: '_later_x',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    expect(taken.body.errcode).toBe('M_EXCLUSIVE');
  });

  it('refuses a second registration with the as_token of another service', async () => {
    const clash = {
      ...writeRegistration({ id: 'clash', url: null, prefix: '_clash_' }).yaml,
      as_token: registration.asToken,
    };
    await expect(server.app.get(AppserviceRegistry).register('localhost', clash)).rejects.toThrow(/share the as_token/);
  });
});
