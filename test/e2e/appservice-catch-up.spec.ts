import { AppService } from 'matrix-appservice';
import { AppserviceRouter } from '../../libs/appservice/src/appservice-router';
import { freePort } from '../../tools/net/free-port';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { writeRegistration, type TestRegistration } from '../support/appservice-registration';

/**
 * application-service-api "Pushing events" across a stop of the single
 * process: its bus does not redeliver, so an event committed but not yet
 * routed when the process died is routed by the next start, once.
 */
jest.setTimeout(90_000);

describe('application services across a single-process restart', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let registration: TestRegistration;
  let service: AppService;
  let alice: Account;
  const events: Array<Record<string, unknown>> = [];

  const config = () => ({
    tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registration.path] }],
    appservices: { retryInitialMs: 100, retryMaxMs: 400 },
  });

  async function until<T>(what: string, check: () => T | undefined | false, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    registration = writeRegistration({ id: 'catch-up-bridge', url: `http://127.0.0.1:${port}`, prefix: '_cu_' });
    server = await startEmbeddedServer(config());
    raw = rawClient(() => server.url);
    alice = await raw.register('alice');
    service = new AppService({ homeserverToken: registration.hsToken });
    service.on('event', (event) => void events.push(event));
    await service.listen(port, '127.0.0.1', 10);
  }, 60_000);
  afterAll(async () => {
    await service.close();
    await server.close();
  });

  it('routes at start the events committed before the process stopped without routing them, and nothing twice', async () => {
    const bot = { userId: '', deviceId: '', token: registration.asToken };
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    const joined = await raw.call(bot, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    expect(joined.status).toBe(200);
    const join = await until('the bot’s join in a transaction', () =>
      events.find(
        (e) =>
          e.room_id === roomId &&
          e.type === 'm.room.member' &&
          e.state_key === `@${registration.senderLocalpart}:localhost`,
      ),
    );

    // The process "dies" between commit and routing: the router no longer sees what is committed.
    server.app.get(AppserviceRouter, { strict: false }).routeEvent = async () => undefined;
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/lost1`, {
      msgtype: 'm.text',
      body: 'committed, not routed',
    });
    expect(sent.status).toBe(200);
    await server.close();
    expect(events.find((e) => e.event_id === sent.body.event_id)).toBeUndefined();

    server = await startEmbeddedServer(config(), server.dataDir);
    const pushed = await until('the message in a transaction after the restart', () =>
      events.find((e) => e.event_id === sent.body.event_id),
    );
    expect(pushed).toMatchObject({ room_id: roomId, content: { body: 'committed, not routed' } });
    const later = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after1`, {
      msgtype: 'm.text',
      body: 'after the restart',
    });
    await until('a message sent after the restart', () => events.find((e) => e.event_id === later.body.event_id));
    const ids = events.map((e) => e.event_id);
    expect(ids.filter((id) => id === join.event_id)).toHaveLength(1);
    expect(ids.filter((id) => id === sent.body.event_id)).toHaveLength(1);
    expect(ids.indexOf(sent.body.event_id)).toBeLessThan(ids.indexOf(later.body.event_id));
  });
});
