import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { eventually, newClient, registerClient } from './matrix-client';
import { completeSas, nextVerificationRequest } from './sas';

/** A new user's matrix-js-sdk client with its Rust crypto (in memory), syncing: it uploads its device keys as it starts. */
export async function startCryptoClient(baseUrl: string, username: string): Promise<MatrixClient> {
  const registered = await registerClient(baseUrl, username);
  const client = await newClient({
    baseUrl,
    userId: registered.getUserId()!,
    accessToken: registered.getAccessToken()!,
    deviceId: registered.getDeviceId()!,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  await client.startClient({ initialSyncLimit: 5 });
  return client;
}

/** An encrypted room of `creator`'s that `invitee` (any server) has joined, once the creator sees the join. */
export async function sharedEncryptedRoom(creator: MatrixClient, invitee: MatrixClient): Promise<string> {
  const { room_id: roomId } = await creator.createRoom({
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await creator.invite(roomId, invitee.getUserId()!);
  await eventually('the invite to arrive', () => invitee.getRoom(roomId), 30_000);
  await invitee.joinRoom(roomId);
  await eventually(
    'the join to be seen',
    () => creator.getRoom(roomId)?.getMember(invitee.getUserId()!)?.membership === 'join',
    30_000,
  );
  return roomId;
}

/**
 * Waits until `client` has received and decrypted a message with this body in the room (it came over the
 * wire encrypted), retrying events whose keys arrived after them (from a backup or a rehydrated device).
 */
export function decryptedMessage(client: MatrixClient, roomId: string, body: string): Promise<MatrixEvent> {
  return eventually(
    `"${body}" to be decrypted`,
    async () => {
      for (const event of client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? []) {
        if (event.getWireType() !== 'm.room.encrypted') continue;
        if (event.isDecryptionFailure()) await event.attemptDecryption(client.getCrypto() as never, { isRetry: true });
        else await client.decryptEventIfNeeded(event);
        if (!event.isDecryptionFailure() && event.getContent().body === body) return event;
      }
      return undefined;
    },
    30_000,
  );
}

/**
 * A syncing client with Rust crypto for a device already signed in; its secret storage key is whatever
 * `recoveryKey()` answers when the sdk asks.
 */
export async function startCryptoDevice(
  baseUrl: string,
  session: { userId: string; accessToken: string; deviceId: string },
  recoveryKey: () => Promise<Uint8Array | undefined> | Uint8Array | undefined,
): Promise<MatrixClient> {
  const client = await newClient({
    baseUrl,
    ...session,
    cryptoCallbacks: {
      getSecretStorageKey: async ({ keys }) => {
        const key = await recoveryKey();
        return key ? [Object.keys(keys)[0], key as Uint8Array<ArrayBuffer>] : null;
      },
    },
  });
  await client.initRustCrypto({ useIndexedDB: false });
  await client.startClient({ initialSyncLimit: 20 });
  await eventually('the first sync', () => client.isInitialSyncComplete(), 30_000);
  return client;
}

/**
 * Two new users with Rust crypto, one on each homeserver, in an encrypted
 * room of the first: each sends a message the other must decrypt. Answers
 * what each received, decrypted.
 */
export async function exchangeEncryptedMessages(
  firstUrl: string,
  secondUrl: string,
  usernames: [string, string],
): Promise<string[]> {
  const [first, second] = await Promise.all([
    startCryptoClient(firstUrl, usernames[0]),
    startCryptoClient(secondUrl, usernames[1]),
  ]);
  try {
    const roomId = await sharedEncryptedRoom(first, second);
    await first.sendTextMessage(roomId, `from ${usernames[0]}`);
    const atSecond = await decryptedMessage(second, roomId, `from ${usernames[0]}`);
    await second.sendTextMessage(roomId, `from ${usernames[1]}`);
    const atFirst = await decryptedMessage(first, roomId, `from ${usernames[1]}`);
    return [atSecond.getContent().body as string, atFirst.getContent().body as string];
  } finally {
    first.stopClient();
    second.stopClient();
  }
}

/** What each side of a cross-user verification ends up with. */
export interface UserVerificationOutcome {
  emoji: [string[], string[]];
  /** Each user's view of the other: cross-signing verified. */
  firstVerifiesSecond: boolean;
  secondVerifiesFirst: boolean;
  /** The first user's signature of the second's master key, as the first user's server answers /keys/query. */
  signatureStoredForFirst: boolean;
}

/**
 * Two new users with Rust crypto and cross-signing, one on each homeserver,
 * in an encrypted room: the first verifies the second's device by SAS over
 * to-device messages, which verifies the users to each other (their master
 * keys are in the SAS MAC) and has each sign the other's master key with
 * their user-signing key.
 */
export async function verifyUsersBySas(
  firstUrl: string,
  secondUrl: string,
  usernames: [string, string],
): Promise<UserVerificationOutcome> {
  const [first, second] = await Promise.all([
    startCryptoClient(firstUrl, usernames[0]),
    startCryptoClient(secondUrl, usernames[1]),
  ]);
  try {
    for (const client of [first, second]) {
      const user = client.getUserId()!;
      await client.getCrypto()!.bootstrapCrossSigning({
        authUploadDeviceSigningKeys: (makeRequest) =>
          makeRequest({
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user },
            password: 'correct horse',
          }).then(() => undefined),
      });
    }
    await sharedEncryptedRoom(first, second);
    const [firstId, secondId] = [first.getUserId()!, second.getUserId()!];
    const knows = (client: MatrixClient, userId: string) => async () =>
      (await client.getCrypto()!.getUserVerificationStatus(userId)).known ||
      (await client.getCrypto()!.getUserDeviceInfo([userId], true), false);
    await eventually(
      'each to know the other identity',
      async () => (await knows(first, secondId)()) && (await knows(second, firstId)()),
      30_000,
    );

    const incoming = nextVerificationRequest(second);
    const outgoing = await first.getCrypto()!.requestDeviceVerification(secondId, second.getDeviceId()!);
    const emoji = await completeSas(outgoing, await incoming);
    const verified = (client: MatrixClient, userId: string) =>
      eventually(
        `${client.getUserId()} to verify ${userId}`,
        async () => (await client.getCrypto()!.getUserVerificationStatus(userId)).isCrossSigningVerified(),
        30_000,
      ).catch(() => false);
    const [firstVerifiesSecond, secondVerifiesFirst] = await Promise.all([
      verified(first, secondId),
      verified(second, firstId),
    ]);
    const signatureStoredForFirst = await eventually(
      'the signature of the master key to be stored',
      async () => {
        const { master_keys } = await first.downloadKeysForUsers([secondId]);
        // The sdk's type of a cross-signing key leaves out the signatures the server returns with it.
        const key = master_keys?.[secondId] as { signatures?: Record<string, Record<string, string>> } | undefined;
        return Object.keys(key?.signatures?.[firstId] ?? {}).length > 0;
      },
      30_000,
    ).catch(() => false);
    return { emoji, firstVerifiesSecond, secondVerifiesFirst, signatureStoredForFirst };
  } finally {
    first.stopClient();
    second.stopClient();
  }
}
