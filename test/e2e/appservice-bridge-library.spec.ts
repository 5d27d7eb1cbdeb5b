import type { Bridge as BridgeType } from 'matrix-appservice-bridge';
import { freePort } from '../../tools/net/free-port';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { rawClient, type Account } from '../support/raw-client';
import { writeRegistration, type TestRegistration } from '../support/appservice-registration';

// matrix-appservice-bridge loads matrix-bot-sdk, whose encryption needs a native library its postinstall
// downloads from GitHub (unreachable from CI and here). These bridges run without encryption, so the
// module is left empty; nothing of it is called.
jest.mock('@matrix-org/matrix-sdk-crypto-nodejs', () => ({}));

/**
 * matrix-appservice-bridge, the library most Node bridges are built on, runs its appservice against
 * Lattice: its registration, intents of namespaced users joining and sending, a user query that
 * creates a user on demand, ephemeral events; and its refusal of a homeserver with the wrong hs_token.
 */
// Transactions arrive asynchronously, and a loaded machine takes seconds where an idle one takes milliseconds.
jest.setTimeout(60_000);

describe('matrix-appservice-bridge against Lattice', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let registration: TestRegistration;
  let bridge: BridgeType;
  let alice: Account;
  let roomId: string;
  const events: Array<Record<string, unknown>> = [];
  const ephemeral: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const port = await freePort();
    registration = writeRegistration({
      id: 'library-bridge',
      url: `http://127.0.0.1:${port}`,
      prefix: '_lib_',
      extra: { 'de.sorunome.msc2409.push_ephemeral': true },
    });
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registration.path] }],
      appservices: { retryInitialMs: 100, retryMaxMs: 400 },
    });
    raw = rawClient(() => server.url);
    alice = await raw.register('alice');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;

    const { Bridge, AppServiceRegistration } = await import('matrix-appservice-bridge');
    bridge = new Bridge({
      homeserverUrl: server.url,
      domain: 'localhost',
      registration: AppServiceRegistration.fromObject(registration.yaml as never),
      disableStores: true,
      disableContext: true,
      controller: {
        onUserQuery: (user) => ({ name: `Bridged ${user.localpart.slice('_lib_'.length)}` }),
        onEvent: (request) => void events.push(request.getData() as unknown as Record<string, unknown>),
        onEphemeralEvent: (request) => void ephemeral.push(request.getData() as unknown as Record<string, unknown>),
      },
    });
    await bridge.initialise();
    await bridge.listen(port, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await bridge.close();
    await server.close();
  });

  it("has a namespaced user's intent join a room and speak in it", async () => {
    const intent = bridge.getIntent('@_lib_carol:localhost');
    await intent.join(roomId);
    await intent.sendText(roomId, 'hello from the bridge');
    const messages = await raw.call(alice, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=10`);
    const sent = (messages.body.chunk as Array<Record<string, any>>).find((e) => e.type === 'm.room.message');
    expect(sent).toMatchObject({ sender: '@_lib_carol:localhost', content: { body: 'hello from the bridge' } });
  });

  it('hands the events of the room to the bridge', async () => {
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/lib1`, {
      msgtype: 'm.text',
      body: 'to the bridge',
    });
    const received = await eventually(
      'the event at the bridge',
      () => events.find((e) => e.event_id === sent.body.event_id),
      20_000,
    );
    expect(received).toMatchObject({ room_id: roomId, sender: alice.userId });
  });

  it('creates a user on demand when asked about it (a user query)', async () => {
    const profile = await raw.call(alice, 'GET', `/profile/${encodeURIComponent('@_lib_newbie:localhost')}`);
    expect(profile).toEqual({ status: 200, body: { displayname: 'Bridged newbie' } });
  });

  it('receives typing as an ephemeral event', async () => {
    await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, {
      typing: true,
      timeout: 10_000,
    });
    const typing = await eventually(
      'typing at the bridge',
      () => ephemeral.find((e) => e.type === 'm.typing' && e.room_id === roomId),
      20_000,
    );
    expect(typing.content).toEqual({ user_ids: [alice.userId] });
  });

  it('refuses a homeserver with another hs_token, and gets the same transaction once it matches again', async () => {
    bridge.appService.setHomeserverToken('not-what-lattice-sends');
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/lib2`, {
      msgtype: 'm.text',
      body: 'refused at first',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(events.find((e) => e.event_id === sent.body.event_id)).toBeUndefined();
    bridge.appService.setHomeserverToken(registration.hsToken);
    await eventually(
      'the retried transaction at the bridge',
      () => events.find((e) => e.event_id === sent.body.event_id),
      20_000,
    );
  });
});
