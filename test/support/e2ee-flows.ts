import type { RunningServer } from './client-flows';
import { cryptoSuite } from './crypto-suite';
import { decryptedMessage, sharedEncryptedRoom, startCryptoClient } from './crypto-client';
import { rawClient, type Account } from './raw-client';

/**
 * End-to-end encryption's server side: send-to-device messages and device
 * lists, driven by matrix-js-sdk with its Rust crypto (what a real client
 * does) and by raw requests for the delivery rules clients rely on. Both
 * modes run the same flows (test/e2e embedded, test/services behind nginx).
 */
export function e2eeFlows(start: () => Promise<RunningServer>): void {
  const { url, keep } = cryptoSuite(start);

  const { call, register, sync, sendToDevice } = rawClient(url);

  /** Two users in one room, and a sync token of the first taken after both joined. */
  async function roomMates(
    a: string,
    b: string,
  ): Promise<{ first: Account; second: Account; roomId: string; since: string }> {
    const [first, second] = await Promise.all([register(a), register(b)]);
    const { body } = await call(first, 'POST', '/createRoom', { preset: 'public_chat' });
    const roomId = body.room_id as string;
    await call(second, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    return { first, second, roomId, since: (await sync(first)).next_batch };
  }

  it('delivers an encrypted message between two matrix-js-sdk clients with Rust crypto', async () => {
    const [alice, bob] = await Promise.all([
      startCryptoClient(url(), 'crypto-alice'),
      startCryptoClient(url(), 'crypto-bob'),
    ]);
    keep(alice, bob);
    const roomId = await sharedEncryptedRoom(alice, bob);
    await alice.sendTextMessage(roomId, 'only bob can read this');
    await decryptedMessage(bob, roomId, 'only bob can read this');
  }, 90_000);

  it('keeps a to-device message until the device acknowledges it with a later since token', async () => {
    const [sender, recipient] = await Promise.all([register('td-sender'), register('td-recipient')]);
    const initial = await sync(recipient);
    expect(
      (await sendToDevice(sender, 'org.example.ping', { [recipient.userId]: { [recipient.deviceId]: { n: 1 } } }))
        .status,
    ).toBe(200);

    const first = await sync(recipient, initial.next_batch);
    expect(first.to_device.events).toEqual([{ sender: sender.userId, type: 'org.example.ping', content: { n: 1 } }]);
    const again = await sync(recipient, initial.next_batch);
    expect(again.to_device.events).toEqual(first.to_device.events);
    const acknowledged = await sync(recipient, first.next_batch);
    expect(acknowledged.to_device.events).toEqual([]);
    expect((await sync(recipient, initial.next_batch)).to_device.events).toEqual([]);
  });

  it('sends to every device of a user with *, once per transaction ID', async () => {
    const sender = await register('td-star-sender');
    const recipient = await register('td-star');
    const second = (
      await call(undefined, 'POST', '/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'td-star' },
        password: 'correct horse',
      })
    ).body;
    const other: Account = {
      userId: recipient.userId,
      deviceId: second.device_id as string,
      token: second.access_token as string,
    };
    const request = { messages: { [recipient.userId]: { '*': { hello: 'all' } } } };
    await call(sender, 'PUT', '/sendToDevice/org.example.hello/same-txn', request);
    await call(sender, 'PUT', '/sendToDevice/org.example.hello/same-txn', request);
    for (const device of [recipient, other])
      expect((await sync(device)).to_device.events).toEqual([
        { sender: sender.userId, type: 'org.example.hello', content: { hello: 'all' } },
      ]);
  });

  it('hands out at most 100 to-device messages per sync and the rest in the next', async () => {
    const [sender, recipient] = await Promise.all([register('td-many-sender'), register('td-many')]);
    for (let i = 0; i < 130; i++)
      expect(
        (await sendToDevice(sender, 'org.example.n', { [recipient.userId]: { [recipient.deviceId]: { i } } })).status,
      ).toBe(200);
    const first = await sync(recipient);
    expect(first.to_device.events.map((e) => e.content.i)).toEqual([...Array(100).keys()]);
    const rest = await sync(recipient, first.next_batch);
    expect(rest.to_device.events.map((e) => e.content.i)).toEqual([...Array(30).keys()].map((i) => i + 100));
  }, 60_000);

  it('wakes a waiting long-poll when a to-device message arrives', async () => {
    const [sender, recipient] = await Promise.all([register('td-wake-sender'), register('td-wake')]);
    const { next_batch: since } = await sync(recipient);
    const started = Date.now();
    const waiting = sync(recipient, since, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await sendToDevice(sender, 'org.example.wake', { [recipient.userId]: { [recipient.deviceId]: {} } });
    expect((await waiting).to_device.events).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('refuses malformed sendToDevice bodies and stores nothing', async () => {
    const [sender, recipient] = await Promise.all([register('td-bad-sender'), register('td-bad')]);
    const { next_batch: since } = await sync(recipient);
    const good = { [recipient.deviceId]: { ok: true } };
    expect(await call(sender, 'PUT', '/sendToDevice/org.example.bad/b1', {})).toMatchObject({
      status: 400,
      body: { errcode: 'M_MISSING_PARAM' },
    });
    expect(await sendToDevice(sender, 'org.example.bad', [])).toMatchObject({
      status: 400,
      body: { errcode: 'M_BAD_JSON' },
    });
    expect(
      await sendToDevice(sender, 'org.example.bad', { 'not-a-user': good, [recipient.userId]: good }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    expect(
      await sendToDevice(sender, 'org.example.bad', { [recipient.userId]: { [recipient.deviceId]: 'text' } }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    expect((await sync(recipient, since)).to_device.events).toEqual([]);
  });

  it('lists a room-mate who uploads new device keys in device_lists.changed and /keys/changes', async () => {
    const { first, second, since } = await roomMates('dl-watcher', 'dl-uploader');
    const deviceKeys = {
      user_id: second.userId,
      device_id: second.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2'],
      keys: { [`ed25519:${second.deviceId}`]: 'key' },
      signatures: {},
    };
    await call(second, 'POST', '/keys/upload', { device_keys: deviceKeys });
    const next = await sync(first, since);
    expect(next.device_lists.changed).toContain(second.userId);
    const changes = await call(first, 'GET', `/keys/changes?from=${since}&to=${next.next_batch}`);
    expect(changes.body.changed).toContain(second.userId);
  });

  it('lists a user who newly joins a shared room in device_lists.changed', async () => {
    const [first, second] = await Promise.all([register('dl-host'), register('dl-newcomer')]);
    const roomId = (await call(first, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    const { next_batch: since } = await sync(first);
    await call(second, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    expect((await sync(first, since)).device_lists.changed).toContain(second.userId);
  });

  it('lists a room-mate whose device was deleted (logout) in device_lists.changed', async () => {
    const { first, second, since } = await roomMates('dl-observer', 'dl-quitter');
    await call(second, 'POST', '/logout', {});
    expect((await sync(first, since)).device_lists.changed).toContain(second.userId);
  });

  it('lists a room-mate who leaves the last shared room in device_lists.left', async () => {
    const { first, second, roomId, since } = await roomMates('dl-stayer', 'dl-leaver');
    await call(second, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {});
    const next = await sync(first, since);
    expect(next.device_lists).toEqual({ changed: [], left: [second.userId] });
  });
}
