import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader } from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src/keyring';
import { exchangeEncryptedMessages } from '../support/crypto-client';
import { crossSigningKeys } from '../support/cross-signing-keys';
import { eventually } from '../support/matrix-client';
import { clientRequest as client, startFederatingServer, type FederatingServer } from '../support/federating-server';
import { makeTestCertificates } from '../../tools/tls/test-certificates';

interface User {
  userId: string;
  deviceId: string;
  token: string;
}

/**
 * Send-to-device messages and device-list changes between two deployments of
 * this server (server-server-api "Send-to-device messaging", "Device
 * Management"): m.direct_to_device and m.device_list_update EDUs over TLS.
 */
describe('send-to-device and device lists between two deployments', () => {
  const certs = makeTestCertificates();
  let a: FederatingServer;
  let b: FederatingServer;
  let alice: User;
  let bob: User;

  async function register(server: FederatingServer, username: string): Promise<User> {
    const { body } = await client(server, 'POST', '/_matrix/client/v3/register', {
      username,
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    return { userId: body.user_id as string, deviceId: body.device_id as string, token: body.access_token as string };
  }

  const sync = async (server: FederatingServer, user: User, since?: string) =>
    (
      await client(
        server,
        'GET',
        `/_matrix/client/v3/sync?timeout=0${since ? `&since=${since}` : ''}`,
        undefined,
        user.token,
      )
    ).body as {
      next_batch: string;
      to_device: { events: Array<{ sender: string; type: string; content: object }> };
      device_lists: { changed: string[] };
    };

  beforeAll(async () => {
    [a, b] = await Promise.all([startFederatingServer(certs), startFederatingServer(certs)]);
    [alice, bob] = await Promise.all([register(a, 'alice'), register(b, 'bob')]);
    const roomId = (await client(a, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }, alice.token))
      .body.room_id as string;
    expect(
      (
        await client(
          b,
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
          {},
          bob.token,
        )
      ).status,
    ).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('delivers a to-device message to a device of the other deployment, and one back', async () => {
    await client(
      a,
      'PUT',
      '/_matrix/client/v3/sendToDevice/org.example.ping/p1',
      { messages: { [bob.userId]: { [bob.deviceId]: { hello: 'bob' } } } },
      alice.token,
    );
    const atBob = await eventually('bob to receive the message on B', async () =>
      (await sync(b, bob)).to_device.events.find((e) => e.type === 'org.example.ping'),
    );
    expect(atBob).toEqual({ sender: alice.userId, type: 'org.example.ping', content: { hello: 'bob' } });

    await client(
      b,
      'PUT',
      '/_matrix/client/v3/sendToDevice/org.example.pong/p1',
      { messages: { [alice.userId]: { '*': { hello: 'alice' } } } },
      bob.token,
    );
    const atAlice = await eventually('alice to receive the reply on A', async () =>
      (await sync(a, alice)).to_device.events.find((e) => e.type === 'org.example.pong'),
    );
    expect(atAlice).toEqual({ sender: bob.userId, type: 'org.example.pong', content: { hello: 'alice' } });
  });

  it('shows a device-list change on one deployment in device_lists.changed on the other, with the new keys queryable', async () => {
    const { next_batch: since } = await sync(a, alice);
    const keys = {
      user_id: bob.userId,
      device_id: bob.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2'],
      keys: { [`ed25519:${bob.deviceId}`]: 'bobs-key' },
      signatures: {},
    };
    expect((await client(b, 'POST', '/_matrix/client/v3/keys/upload', { device_keys: keys }, bob.token)).status).toBe(
      200,
    );
    await eventually("alice to see bob's device list change", async () =>
      (await sync(a, alice, since)).device_lists.changed.includes(bob.userId),
    );
    const queried = await client(
      a,
      'POST',
      '/_matrix/client/v3/keys/query',
      { device_keys: { [bob.userId]: [] } },
      alice.token,
    );
    expect(
      (queried.body.device_keys as Record<string, Record<string, { keys: object }>>)[bob.userId][bob.deviceId].keys,
    ).toEqual(keys.keys);
  });

  it('sends new cross-signing keys to the other deployment (m.signing_key_update), which answers /keys/query with master and self-signing keys', async () => {
    const { next_batch: since } = await sync(a, alice);
    const bobKeys = crossSigningKeys(bob.userId);
    expect(
      (await client(b, 'POST', '/_matrix/client/v3/keys/device_signing/upload', bobKeys.upload, bob.token)).status,
    ).toBe(200);
    await eventually("alice to see bob's cross-signing change", async () =>
      (await sync(a, alice, since)).device_lists.changed.includes(bob.userId),
    );
    const queried = (
      await client(a, 'POST', '/_matrix/client/v3/keys/query', { device_keys: { [bob.userId]: [] } }, alice.token)
    ).body as Record<string, Record<string, unknown>>;
    expect([
      queried.master_keys[bob.userId],
      queried.self_signing_keys[bob.userId],
      queried.user_signing_keys[bob.userId],
    ]).toEqual([bobKeys.upload.master_key, bobKeys.upload.self_signing_key, undefined]);

    const aliceKeys = crossSigningKeys(alice.userId);
    await client(a, 'POST', '/_matrix/client/v3/keys/device_signing/upload', aliceKeys.upload, alice.token);
    const signed = aliceKeys.userSigning.sign(bobKeys.upload.master_key, alice.userId);
    const answer = await client(
      a,
      'POST',
      '/_matrix/client/v3/keys/signatures/upload',
      { [bob.userId]: { [bobKeys.master.publicKey]: signed } },
      alice.token,
    );
    expect(answer.body).toEqual({ failures: {} });
    const seen = (
      await client(a, 'POST', '/_matrix/client/v3/keys/query', { device_keys: { [bob.userId]: [] } }, alice.token)
    ).body as Record<string, Record<string, { signatures?: unknown }>>;
    expect(seen.master_keys[bob.userId].signatures).toEqual(signed.signatures);
  });

  describe('m.direct_to_device EDUs made by hand', () => {
    let txn = 0;
    /** A transaction to A signed by B, carrying one m.direct_to_device EDU for alice. */
    const sendEdu = async (sender: string, messageId: string, type: string) => {
      const key = await b.app.get(Keyring).signingKey(b.name);
      const path = `/_matrix/federation/v1/send/hand-made-${txn++}`;
      const content = {
        sender,
        type,
        message_id: messageId,
        messages: { [alice.userId]: { [alice.deviceId]: { from: sender } } },
      };
      const body = {
        origin: b.name,
        origin_server_ts: Date.now(),
        pdus: [],
        edus: [{ edu_type: 'm.direct_to_device', content }],
      };
      const authorization = authorizationHeader(
        { method: 'PUT', uri: path, origin: b.name, destination: a.name, content: body as never },
        key,
      );
      const ca = [readFileSync(certs.caFile, 'utf8')];
      return httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, 'PUT', path, {
        ca,
        timeoutMs: 10_000,
        headers: { authorization },
        body,
      });
    };
    const typesSince = async (since: string) => (await sync(a, alice, since)).to_device.events.map((e) => e.type);

    it('delivers an EDU sent twice with one message_id once', async () => {
      const { next_batch: since } = await sync(a, alice);
      expect((await sendEdu(bob.userId, 'once', 'org.example.once')).status).toBe(200);
      expect((await sendEdu(bob.userId, 'once', 'org.example.once')).status).toBe(200);
      expect(await typesSince(since)).toEqual(['org.example.once']);
    });

    it('delivers nothing whose sender is not a user of the origin', async () => {
      const { next_batch: since } = await sync(a, alice);
      expect((await sendEdu(alice.userId, 'forged', 'org.example.forged')).status).toBe(200);
      expect(await typesSince(since)).toEqual([]);
    });
  });

  it('lets matrix-js-sdk clients with Rust crypto on the two deployments exchange encrypted messages', async () => {
    expect(await exchangeEncryptedMessages(a.url, b.url, ['crypto-ann', 'crypto-ben'])).toEqual([
      'from crypto-ann',
      'from crypto-ben',
    ]);
  }, 90_000);
});
