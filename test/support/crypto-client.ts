import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { eventually, newClient, registerClient } from './matrix-client';

/** A new user's matrix-js-sdk client with its Rust crypto (in memory), syncing: it uploads its device keys as it starts. */
export async function startCryptoClient(baseUrl: string, username: string): Promise<MatrixClient> {
  const registered = await registerClient(baseUrl, username);
  const client = await newClient({ baseUrl, userId: registered.getUserId()!, accessToken: registered.getAccessToken()!, deviceId: registered.getDeviceId()! });
  await client.initRustCrypto({ useIndexedDB: false });
  await client.startClient({ initialSyncLimit: 5 });
  return client;
}

/** An encrypted room of `creator`'s that `invitee` (any server) has joined, once the creator sees the join. */
export async function sharedEncryptedRoom(creator: MatrixClient, invitee: MatrixClient): Promise<string> {
  const { room_id: roomId } = await creator.createRoom({ initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
  await creator.invite(roomId, invitee.getUserId()!);
  await eventually('the invite to arrive', () => invitee.getRoom(roomId), 30_000);
  await invitee.joinRoom(roomId);
  await eventually('the join to be seen', () => creator.getRoom(roomId)?.getMember(invitee.getUserId()!)?.membership === 'join', 30_000);
  return roomId;
}

/** Waits until `client` has received and decrypted a message with this body in the room (it came over the wire encrypted). */
export function decryptedMessage(client: MatrixClient, roomId: string, body: string): Promise<MatrixEvent> {
  return eventually(
    `"${body}" to be decrypted`,
    async () => {
      for (const event of client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? []) {
        if (event.getWireType() !== 'm.room.encrypted') continue;
        await client.decryptEventIfNeeded(event);
        if (!event.isDecryptionFailure() && event.getContent().body === body) return event;
      }
      return undefined;
    },
    30_000,
  );
}

/**
 * Two new users with Rust crypto, one on each homeserver, in an encrypted
 * room of the first: each sends a message the other must decrypt. Answers
 * what each received, decrypted.
 */
export async function exchangeEncryptedMessages(firstUrl: string, secondUrl: string, usernames: [string, string]): Promise<string[]> {
  const [first, second] = await Promise.all([startCryptoClient(firstUrl, usernames[0]), startCryptoClient(secondUrl, usernames[1])]);
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
