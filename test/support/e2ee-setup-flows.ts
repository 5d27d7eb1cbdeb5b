import type { GeneratedSecretStorageKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { decryptedMessage } from './crypto-client';
import { cryptoSuite } from './crypto-suite';
import { eventually, newClient, registerClient } from './matrix-client';
import { completeSas, nextVerificationRequest } from './sas';

const PASSWORD = 'correct horse';

/** matrix-js-sdk's crypto API module (ES module, loaded once). */
const cryptoApi = () => import('matrix-js-sdk/lib/crypto-api/index.js');

/**
 * End-to-end encryption set up as Element does it, driven by matrix-js-sdk
 * with its Rust crypto: cross-signing, secret storage and key backup on a
 * first device; a second device that sees the first as cross-signed; a
 * third that restores the backup with the recovery key and reads history
 * sent before it existed. Both modes run the same flows.
 */
export function e2eeSetupFlows(start: () => Promise<RunningServer>): void {
  const { url, cryptoDevice } = cryptoSuite(start);

  async function login(username: string, recoveryKey: () => Promise<Uint8Array | undefined>): Promise<MatrixClient> {
    const anonymous = await newClient({ baseUrl: url() });
    const session = await anonymous.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password: PASSWORD,
    });
    return cryptoDevice(session.user_id, session.access_token, session.device_id, recoveryKey);
  }

  it('bootstraps cross-signing, secret storage and a key backup; a second device sees the first cross-signed; a third restores the backup with the recovery key and reads earlier messages', async () => {
    const registered = await registerClient(url(), 'setup-ann', PASSWORD);
    const userId = registered.getUserId()!;
    let recoveryKey: GeneratedSecretStorageKey | undefined;
    const first = await cryptoDevice(
      userId,
      registered.getAccessToken()!,
      registered.getDeviceId()!,
      async () => recoveryKey?.privateKey,
    );
    const crypto = first.getCrypto()!;

    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: (makeRequest) =>
        makeRequest({
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: userId },
          password: PASSWORD,
        }).then(() => undefined),
    });
    recoveryKey = await crypto.createRecoveryKeyFromPassphrase();
    await crypto.bootstrapSecretStorage({ createSecretStorageKey: async () => recoveryKey!, setupNewKeyBackup: true });
    expect(await crypto.isCrossSigningReady()).toBe(true);
    expect(await crypto.isSecretStorageReady()).toBe(true);
    const backup = await crypto.getActiveSessionBackupVersion();
    expect(backup).not.toBeNull();

    const { room_id: roomId } = await first.createRoom({
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await eventually('the room to sync', () => first.getRoom(roomId));
    await first.sendTextMessage(roomId, 'sent before device three existed');
    const backedUp = async () =>
      (
        (await (
          await fetch(`${url()}/_matrix/client/v3/room_keys/version`, {
            headers: { authorization: `Bearer ${first.getAccessToken()}` },
          })
        ).json()) as { count?: number }
      ).count;
    await eventually('the room key to be backed up', async () => (await backedUp()) === 1, 60_000);

    const second = await login('setup-ann', async () => undefined);
    const status = await eventually(
      'device two to see device one cross-signed',
      async () => {
        await second.getCrypto()!.getUserDeviceInfo([userId], true);
        const s = await second.getCrypto()!.getDeviceVerificationStatus(userId, first.getDeviceId()!);
        return s?.signedByOwner ? s : undefined;
      },
      30_000,
    );
    expect(status.signedByOwner).toBe(true);

    const { decodeRecoveryKey } = await cryptoApi();
    // What the user types in: the recovery key as shown to them at set-up.
    const typed = recoveryKey.encodedPrivateKey!;
    const third = await login('setup-ann', async () => decodeRecoveryKey(typed));
    await eventually('the room at device three', () => third.getRoom(roomId), 30_000);
    await third.getCrypto()!.loadSessionBackupPrivateKeyFromSecretStorage();
    const restored = await third.getCrypto()!.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThanOrEqual(1);
    expect((await decryptedMessage(third, roomId, 'sent before device three existed')).getContent().body).toBe(
      'sent before device three existed',
    );
  }, 180_000);

  it('verifies a new device with SAS from a cross-signed one: both show the same emoji, and each then trusts the other', async () => {
    const registered = await registerClient(url(), 'sas-ann', PASSWORD);
    const userId = registered.getUserId()!;
    const first = await cryptoDevice(
      userId,
      registered.getAccessToken()!,
      registered.getDeviceId()!,
      async () => undefined,
    );
    await first.getCrypto()!.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: (makeRequest) =>
        makeRequest({
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: userId },
          password: PASSWORD,
        }).then(() => undefined),
    });
    const second = await login('sas-ann', async () => undefined);
    const [firstId, secondId] = [first.getDeviceId()!, second.getDeviceId()!];
    await eventually(
      'device one to know device two',
      async () => (await first.getCrypto()!.getUserDeviceInfo([userId], true)).get(userId)?.has(secondId),
      30_000,
    );
    await eventually(
      'device two to know device one',
      async () => (await second.getCrypto()!.getUserDeviceInfo([userId], true)).get(userId)?.has(firstId),
      30_000,
    );

    const incoming = nextVerificationRequest(first);
    const outgoing = await second.getCrypto()!.requestOwnUserVerification();
    const [shownOnSecond, shownOnFirst] = await completeSas(outgoing, await incoming);
    expect(shownOnSecond).toHaveLength(7);
    expect(shownOnSecond).toEqual(shownOnFirst);

    await eventually(
      'device one to trust device two through cross-signing',
      async () => {
        await first.getCrypto()!.getUserDeviceInfo([userId], true);
        return (await first.getCrypto()!.getDeviceVerificationStatus(userId, secondId))?.crossSigningVerified;
      },
      30_000,
    );
    await eventually(
      'device two to trust device one',
      async () => {
        await second.getCrypto()!.getUserDeviceInfo([userId], true);
        return (await second.getCrypto()!.getDeviceVerificationStatus(userId, firstId))?.isVerified();
      },
      30_000,
    );
  }, 180_000);
}
