import { heisenbridgePython } from '../support/heisenbridge';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { rawClient, type Account } from '../support/raw-client';
import type { TestRegistration } from '../support/appservice-registration';
import { MautrixAppservice, type Received } from '../support/mautrix-appservice';

// mautrix-python comes with heisenbridge (its virtualenv, LATTICE_HEISENBRIDGE_PYTHON; .ci/run makes it).
const python = heisenbridgePython();
if (!python)
  process.stdout.write(
    'Skipping the mautrix application service test: it needs LATTICE_HEISENBRIDGE_PYTHON (a virtualenv with heisenbridge, which brings mautrix); .ci/run provides it\n',
  );

/**
 * The encryption extensions bridges need, received by mautrix-python's appservice (the library of the
 * mautrix bridges, with ephemeral and encryption events on): MSC2409 send-to-device messages for a
 * namespaced user's device and read receipts, and MSC3202 device-list changes of a user sharing a room,
 * the departure of a user who no longer shares one, and one-time-key counts of a namespaced user's device.
 */
jest.setTimeout(60_000);

(python ? describe : describe.skip)('MSC2409 and MSC3202 to a mautrix application service', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let registration: TestRegistration;
  let service: MautrixAppservice;
  let received: Received[];
  let alice: Account;
  let bridged: Account;
  let roomId: string;

  beforeAll(async () => {
    service = await MautrixAppservice.register(python!);
    ({ registration, received } = service);
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost', appServiceConfigFiles: [registration.path] }],
    });
    raw = rawClient(() => server.url);
    await service.start(server.url);

    const as = { userId: '', deviceId: '', token: registration.asToken };
    await raw.call(as, 'POST', '/register', {
      type: 'm.login.application_service',
      username: '_mx_carol',
      inhibit_login: true,
    });
    const login = await raw.call(as, 'POST', '/login', {
      type: 'm.login.application_service',
      identifier: { type: 'm.id.user', user: '_mx_carol' },
      device_id: 'BRIDGEDEVICE',
    });
    bridged = {
      userId: login.body.user_id as string,
      deviceId: login.body.device_id as string,
      token: login.body.access_token as string,
    };
    alice = await raw.register('alice');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await raw.call(bridged, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
  }, 60_000);

  afterAll(async () => {
    service?.stop();
    await server?.close();
  });

  it("delivers send-to-device messages for a namespaced user's device", async () => {
    await raw.sendToDevice(alice, 'org.example.ping', {
      [bridged.userId]: { [bridged.deviceId]: { hello: 'bridge' } },
    });
    const message = await eventually(
      'the to-device message at the service',
      () => received.find((r) => r.kind === 'to_device' && r.data.type === 'org.example.ping'),
      20_000,
    );
    expect(message.data).toMatchObject({
      sender: alice.userId,
      to_user_id: bridged.userId,
      to_device_id: bridged.deviceId,
      content: { hello: 'bridge' },
    });
  });

  it('delivers read receipts in the room as ephemeral events', async () => {
    const sent = await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/mx1`, {
      msgtype: 'm.text',
      body: 'read me',
    });
    const eventId = sent.body.event_id as string;
    await raw.call(
      alice,
      'POST',
      `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`,
      {},
    );
    const receipt = await eventually(
      'the receipt at the service',
      () => received.find((r) => r.kind === 'ephemeral' && r.data.type === 'm.receipt' && r.data.content?.[eventId]),
      20_000,
    );
    expect(receipt.data.content[eventId]['m.read']).toHaveProperty([alice.userId]);
  });

  it('tells the service of device-list changes of a user sharing a room (MSC3202)', async () => {
    const deviceKeys = {
      user_id: alice.userId,
      device_id: alice.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2'],
      keys: { [`curve25519:${alice.deviceId}`]: 'x'.repeat(43), [`ed25519:${alice.deviceId}`]: 'y'.repeat(43) },
      signatures: {},
    };
    await raw.call(alice, 'POST', '/keys/upload', { device_keys: deviceKeys });
    await eventually(
      'the device-list change at the service',
      () => received.find((r) => r.kind === 'device_lists' && (r.data.changed ?? []).includes(alice.userId)),
      20_000,
    );
  });

  it('tells the service of a user who no longer shares a room with its users (MSC3202 left)', async () => {
    const other = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await raw.call(bridged, 'POST', `/join/${encodeURIComponent(other)}`, {});
    await raw.call(alice, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {});
    await raw.call(alice, 'POST', `/rooms/${encodeURIComponent(other)}/leave`, {});
    const left = await eventually(
      'the departure at the service',
      () => received.find((r) => r.kind === 'device_lists' && (r.data.left ?? []).includes(alice.userId)),
      20_000,
    );
    // Alice still shared the second room after leaving the first: only her last leave ends the sharing.
    expect(received.filter((r) => r.kind === 'device_lists' && (r.data.left ?? []).includes(alice.userId))).toEqual([
      left,
    ]);
  });

  it("tells the service how many one-time keys a namespaced user's device has left (MSC3202)", async () => {
    await raw.call(bridged, 'POST', '/keys/upload', {
      one_time_keys: { 'curve25519:AAAAAQ': 'z'.repeat(43), 'curve25519:AAAAAg': 'w'.repeat(43) },
    });
    const counts = await eventually(
      'the one-time-key count at the service',
      () => received.find((r) => r.kind === 'otk_counts' && r.data[bridged.userId]?.[bridged.deviceId]),
      20_000,
    );
    expect(counts.data[bridged.userId][bridged.deviceId]).toMatchObject({ curve25519: 2 });
  });
});
