import type { JsonObject } from '../../libs/protocol/src';
import { crossSigningKeys, keyPair } from '../support/cross-signing-keys';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/**
 * Cross-signing on the wire (client-server-api "Cross-signing"):
 * /keys/device_signing/upload, /keys/signatures/upload and what
 * /keys/query shows each requester.
 */
describe('cross-signing against the embedded server', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  const { call, register, sync } = rawClient(() => server.url);

  beforeAll(async () => {
    server = await startEmbeddedServer();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const password = (userId: string, value = 'correct horse') => ({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: userId },
    password: value,
  });
  const query = async (viewer: Account, userId: string) =>
    (await call(viewer, 'POST', '/keys/query', { device_keys: { [userId]: [] } })).body as Record<
      string,
      Record<string, JsonObject>
    >;

  /** A device's identity keys, signed by the device's own ed25519 key, uploaded. */
  async function uploadDeviceKeys(account: Account) {
    const device = keyPair();
    const keys = device.sign(
      {
        user_id: account.userId,
        device_id: account.deviceId,
        algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
        keys: { [`ed25519:${account.deviceId}`]: device.publicKey, [`curve25519:${account.deviceId}`]: 'curve' },
      },
      account.userId,
      `ed25519:${account.deviceId}`,
    );
    await call(account, 'POST', '/keys/upload', { device_keys: keys });
    return { device, keys };
  }

  it('takes the first upload without user-interactive auth and shows master and self-signing keys to others, the user-signing key only to its owner', async () => {
    const [alice, bob] = await Promise.all([register('xs-first'), register('xs-first-viewer')]);
    const { upload } = crossSigningKeys(alice.userId);
    expect((await call(alice, 'POST', '/keys/device_signing/upload', upload)).status).toBe(200);

    const own = await query(alice, alice.userId);
    expect([
      own.master_keys[alice.userId],
      own.self_signing_keys[alice.userId],
      own.user_signing_keys[alice.userId],
    ]).toEqual([upload.master_key, upload.self_signing_key, upload.user_signing_key]);
    const other = await query(bob, alice.userId);
    expect([other.master_keys[alice.userId], other.self_signing_keys[alice.userId]]).toEqual([
      upload.master_key,
      upload.self_signing_key,
    ]);
    expect(other.user_signing_keys).toEqual({});
  });

  it('answers the same upload again without user-interactive auth, and a new master key only with the password', async () => {
    const alice = await register('xs-replace');
    const first = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', first.upload);
    expect((await call(alice, 'POST', '/keys/device_signing/upload', first.upload)).status).toBe(200);

    const second = crossSigningKeys(alice.userId);
    const challenge = await call(alice, 'POST', '/keys/device_signing/upload', second.upload);
    expect([challenge.status, challenge.body.flows]).toEqual([401, [{ stages: ['m.login.password'] }]]);
    expect(
      (
        await call(alice, 'POST', '/keys/device_signing/upload', {
          ...second.upload,
          auth: password(alice.userId, 'wrong'),
        })
      ).status,
    ).toBe(401);
    expect(
      (await call(alice, 'POST', '/keys/device_signing/upload', { ...second.upload, auth: password(alice.userId) }))
        .status,
    ).toBe(200);
    expect((await query(alice, alice.userId)).master_keys[alice.userId]).toEqual(second.upload.master_key);
  });

  it('refuses a self-signing key the master key did not sign with M_INVALID_SIGNATURE', async () => {
    const alice = await register('xs-badsig');
    const { upload, selfSigning } = crossSigningKeys(alice.userId);
    const forged = keyPair().sign(
      {
        user_id: alice.userId,
        usage: ['self_signing'],
        keys: { [`ed25519:${selfSigning.publicKey}`]: selfSigning.publicKey },
      },
      alice.userId,
    );
    const refused = await call(alice, 'POST', '/keys/device_signing/upload', {
      master_key: upload.master_key,
      self_signing_key: forged,
    });
    expect([refused.status, refused.body.errcode]).toEqual([400, 'M_INVALID_SIGNATURE']);
  });

  it('refuses a self-signing key without any master key with M_MISSING_PARAM', async () => {
    const alice = await register('xs-nomaster');
    const { upload } = crossSigningKeys(alice.userId);
    const refused = await call(alice, 'POST', '/keys/device_signing/upload', {
      self_signing_key: upload.self_signing_key,
    });
    expect([refused.status, refused.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
  });

  it('refuses a login whose device ID is one of the user cross-signing keys, and an upload of a key named like a device', async () => {
    const alice = await register('xs-collide');
    const keys = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', keys.upload);
    const login = await call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice.userId },
      password: 'correct horse',
      device_id: keys.master.publicKey,
    });
    expect([login.status, login.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);

    const bob = await register('xs-collide-device');
    const named = keyPair();
    await call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: bob.userId },
      password: 'correct horse',
      device_id: named.publicKey,
    });
    const upload = await call(bob, 'POST', '/keys/device_signing/upload', {
      master_key: { user_id: bob.userId, usage: ['master'], keys: { [`ed25519:${named.publicKey}`]: named.publicKey } },
    });
    expect([upload.status, upload.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('tells room-mates of new cross-signing keys in device_lists.changed', async () => {
    const [alice, bob] = await Promise.all([register('xs-notify'), register('xs-notify-mate')]);
    const { body } = await call(alice, 'POST', '/createRoom', { preset: 'public_chat' });
    await call(bob, 'POST', `/join/${encodeURIComponent(body.room_id as string)}`, {});
    const since = (await sync(bob)).next_batch;
    await call(alice, 'POST', '/keys/device_signing/upload', crossSigningKeys(alice.userId).upload);
    expect((await sync(bob, since)).device_lists.changed).toContain(alice.userId);
  });

  it('adds the self-signing key signature of a device to its keys, for everyone to see', async () => {
    const [alice, bob] = await Promise.all([register('xs-device'), register('xs-device-viewer')]);
    const { upload, selfSigning } = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', upload);
    const { keys } = await uploadDeviceKeys(alice);
    const signed = selfSigning.sign(keys, alice.userId);

    const answer = await call(alice, 'POST', '/keys/signatures/upload', {
      [alice.userId]: { [alice.deviceId]: signed },
    });
    expect(answer.body).toEqual({ failures: {} });
    const seen = (await query(bob, alice.userId)).device_keys[alice.userId][alice.deviceId] as {
      signatures: Record<string, Record<string, string>>;
    };
    expect(seen.signatures[alice.userId][`ed25519:${selfSigning.publicKey}`]).toBe(
      signed.signatures![alice.userId][`ed25519:${selfSigning.publicKey}`],
    );
  });

  it('keeps the self-signing signature when the device uploads the same keys again', async () => {
    const alice = await register('xs-device-reupload');
    const { upload, selfSigning } = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', upload);
    const { keys } = await uploadDeviceKeys(alice);
    await call(alice, 'POST', '/keys/signatures/upload', {
      [alice.userId]: { [alice.deviceId]: selfSigning.sign(keys, alice.userId) },
    });
    await call(alice, 'POST', '/keys/upload', { device_keys: keys });
    const seen = (await query(alice, alice.userId)).device_keys[alice.userId][alice.deviceId] as {
      signatures: Record<string, Record<string, string>>;
    };
    expect(Object.keys(seen.signatures[alice.userId])).toContain(`ed25519:${selfSigning.publicKey}`);
  });

  it('lists a bad signature in failures with M_INVALID_SIGNATURE and stores nothing of it', async () => {
    const alice = await register('xs-device-bad');
    const { upload, selfSigning } = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', upload);
    const { keys } = await uploadDeviceKeys(alice);
    const forged = keyPair().sign(keys, alice.userId, `ed25519:${selfSigning.publicKey}`);
    const answer = await call(alice, 'POST', '/keys/signatures/upload', {
      [alice.userId]: { [alice.deviceId]: forged },
    });
    expect(
      (answer.body.failures as Record<string, Record<string, { errcode: string }>>)[alice.userId][alice.deviceId]
        .errcode,
    ).toBe('M_INVALID_SIGNATURE');
    const seen = (await query(alice, alice.userId)).device_keys[alice.userId][alice.deviceId] as {
      signatures: Record<string, Record<string, string>>;
    };
    expect(Object.keys(seen.signatures[alice.userId])).toEqual([`ed25519:${alice.deviceId}`]);
  });

  it('adds a device signature of the master key, shown to everyone', async () => {
    const [alice, bob] = await Promise.all([register('xs-master-by-device'), register('xs-master-viewer')]);
    const { upload } = crossSigningKeys(alice.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', upload);
    const { device } = await uploadDeviceKeys(alice);
    const masterId = Object.values(upload.master_key.keys as Record<string, string>)[0];
    const signed = device.sign(upload.master_key, alice.userId, `ed25519:${alice.deviceId}`);
    expect(
      (await call(alice, 'POST', '/keys/signatures/upload', { [alice.userId]: { [masterId]: signed } })).body,
    ).toEqual({ failures: {} });
    expect((await query(bob, alice.userId)).master_keys[alice.userId].signatures).toEqual(signed.signatures);
  });

  it('shows a user-signing signature of another user master key only to the signer', async () => {
    const [alice, bob, carol] = await Promise.all([
      register('xs-usk-signer'),
      register('xs-usk-target'),
      register('xs-usk-viewer'),
    ]);
    const aliceKeys = crossSigningKeys(alice.userId);
    const bobKeys = crossSigningKeys(bob.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', aliceKeys.upload);
    await call(bob, 'POST', '/keys/device_signing/upload', bobKeys.upload);
    const signed = aliceKeys.userSigning.sign(bobKeys.upload.master_key, alice.userId);

    expect(
      (await call(alice, 'POST', '/keys/signatures/upload', { [bob.userId]: { [bobKeys.master.publicKey]: signed } }))
        .body,
    ).toEqual({ failures: {} });
    expect((await query(alice, bob.userId)).master_keys[bob.userId].signatures).toEqual(signed.signatures);
    expect((await query(carol, bob.userId)).master_keys[bob.userId].signatures).toBeUndefined();
    expect((await query(bob, bob.userId)).master_keys[bob.userId].signatures).toBeUndefined();
  });

  it('names the signed user in the signer device_lists.changed, so the signer devices query the new signature', async () => {
    const [alice, bob] = await Promise.all([register('xs-usk-notify'), register('xs-usk-notify-target')]);
    const { body } = await call(alice, 'POST', '/createRoom', { preset: 'public_chat' });
    await call(bob, 'POST', `/join/${encodeURIComponent(body.room_id as string)}`, {});
    const aliceKeys = crossSigningKeys(alice.userId);
    const bobKeys = crossSigningKeys(bob.userId);
    await call(alice, 'POST', '/keys/device_signing/upload', aliceKeys.upload);
    await call(bob, 'POST', '/keys/device_signing/upload', bobKeys.upload);
    const since = (await sync(alice)).next_batch;
    await call(alice, 'POST', '/keys/signatures/upload', {
      [bob.userId]: { [bobKeys.master.publicKey]: aliceKeys.userSigning.sign(bobKeys.upload.master_key, alice.userId) },
    });
    expect((await sync(alice, since)).device_lists.changed).toContain(bob.userId);
  });
});
