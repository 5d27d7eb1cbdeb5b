import type { GeneratedSecretStorageKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { decryptedMessage, sharedEncryptedRoom, startCryptoClient } from '../support/crypto-client';
import { cryptoSuite } from '../support/crypto-suite';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually, newClient, registerClient } from '../support/matrix-client';

const PASSWORD = 'correct horse';

/**
 * Dehydrated devices (MSC3814) as matrix-js-sdk with its Rust crypto uses
 * them: a device leaves a dehydrated device behind and signs out; a message
 * sent while the user has no device is encrypted for the dehydrated one; a
 * new device rehydrates it and reads the message.
 */
describe('dehydrated devices with matrix-js-sdk and Rust crypto, against the embedded server', () => {
  const { url, keep, cryptoDevice } = cryptoSuite(startEmbeddedServer);

  it('a new device rehydrates the dehydrated device and decrypts a message sent while the user had no device', async () => {
    const registered = await registerClient(url(), 'hydra-ann', PASSWORD);
    const userId = registered.getUserId()!;
    let recoveryKey: GeneratedSecretStorageKey | undefined;
    const first = await cryptoDevice(
      userId,
      registered.getAccessToken()!,
      registered.getDeviceId()!,
      () => recoveryKey?.privateKey,
    );
    const crypto = first.getCrypto()!;
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: PASSWORD };
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: (makeRequest) => makeRequest(auth).then(() => undefined),
    });
    recoveryKey = await crypto.createRecoveryKeyFromPassphrase();
    await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => recoveryKey! });
    expect(await crypto.isDehydrationSupported()).toBe(true);
    await crypto.startDehydration();
    const dehydratedId = (
      (await (
        await fetch(`${url()}/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`, {
          headers: { authorization: `Bearer ${first.getAccessToken()}` },
        })
      ).json()) as { device_id: string }
    ).device_id;

    const bob = await startCryptoClient(url(), 'hydra-bob');
    keep(bob);
    const roomId = await sharedEncryptedRoom(bob, first);
    await first.logout(true);

    // Bob sees the dehydrated device, flagged as such, and no other of Ann's.
    const annDevices = await eventually(
      'Bob to see only the dehydrated device',
      async () => {
        const devices = (await bob.getCrypto()!.getUserDeviceInfo([userId], true)).get(userId);
        return devices?.size === 1 && devices.has(dehydratedId) ? devices : undefined;
      },
      30_000,
    );
    expect(annDevices.get(dehydratedId)?.dehydrated).toBe(true);
    await bob.sendTextMessage(roomId, 'sent while Ann had no device');

    const anonymous = await newClient({ baseUrl: url() });
    const session = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'hydra-ann' },
      password: PASSWORD,
    });
    const typed = recoveryKey.privateKey;
    const second = await cryptoDevice(session.user_id, session.access_token, session.device_id, () => typed);
    const secondCrypto = second.getCrypto()!;
    // As a client does after its first sync: the keys are imported once the device knows its user's public ones.
    await eventually(
      'the new device to know its cross-signing keys',
      async () => (await secondCrypto.getCrossSigningStatus()).publicKeysOnDevice || undefined,
      30_000,
    );
    await secondCrypto.bootstrapCrossSigning({});
    let roomKeysReceived = 0;
    second.on(
      'dehydration.RehydrationProgress' as never,
      ((roomKeys: number) => (roomKeysReceived = roomKeys)) as never,
    );
    const rehydrated = new Promise<void>((resolve) =>
      second.once('dehydration.RehydrationCompleted' as never, resolve as never),
    );
    await secondCrypto.startDehydration();
    await rehydrated;
    // The room key came from the dehydrated device's to-device messages: no device of Ann's existed when Bob sent it.
    expect(roomKeysReceived).toBeGreaterThanOrEqual(1);

    const event = await decryptedMessage(second, roomId, 'sent while Ann had no device');
    expect(event.getSender()).toBe(bob.getUserId());
    // Rehydrating made a new dehydrated device for the next time, replacing the one just read.
    const next = (await (
      await fetch(`${url()}/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device`, {
        headers: { authorization: `Bearer ${second.getAccessToken()}` },
      })
    ).json()) as { device_id: string };
    expect(next.device_id).not.toBe(dehydratedId);
  }, 180_000);
});
