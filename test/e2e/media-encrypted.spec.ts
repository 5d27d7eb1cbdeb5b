import type { MatrixClient } from 'matrix-js-sdk';
import { decryptedMessage, sharedEncryptedRoom, startCryptoClient } from '../support/crypto-client';
import { startEmbeddedServer } from '../support/embedded-server';
import { AVATAR_PNG, downloadAuthenticated } from '../support/media-flows';

type CryptoWasm = typeof import('@matrix-org/matrix-sdk-crypto-wasm');

/**
 * Encrypted attachments (client-server-api "Sending encrypted attachments"):
 * the client encrypts the file with the Rust crypto's attachment encryption
 * (AES-CTR, key and SHA-256 in the event), uploads the ciphertext, and sends
 * the key inside the Megolm-encrypted event. The server stores and serves
 * opaque bytes; only the receiver, with the event's key, gets the image back.
 */
describe('an encrypted image attachment between two Rust-crypto clients', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let wasm: CryptoWasm;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    [alice, bob] = await Promise.all([
      startCryptoClient(server.url, 'attachment-alice'),
      startCryptoClient(server.url, 'attachment-bob'),
    ]);
    // The module the sdk's Rust crypto runs on, already initialised by initRustCrypto; initAsync is idempotent.
    wasm = await import('@matrix-org/matrix-sdk-crypto-wasm');
    await wasm.initAsync();
  }, 120_000);
  afterAll(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await server.close();
  });

  it('is stored as opaque bytes and decrypted byte-identical by the receiver', async () => {
    const roomId = await sharedEncryptedRoom(alice, bob);
    const encrypted = wasm.Attachment.encrypt(new Uint8Array(AVATAR_PNG));
    const ciphertext = Buffer.from(encrypted.encryptedData);
    const encryptionInfo = JSON.parse(encrypted.mediaEncryptionInfo!) as Record<string, unknown>;
    const { content_uri } = await alice.uploadContent(ciphertext, { type: 'application/octet-stream' });
    await alice.sendMessage(roomId, {
      msgtype: 'm.image',
      body: 'cat.png',
      file: { ...encryptionInfo, url: content_uri },
      info: { mimetype: 'image/png', size: AVATAR_PNG.length },
    } as never);

    const received = await decryptedMessage(bob, roomId, 'cat.png');
    const { url, ...receivedInfo } = received.getContent().file as Record<string, unknown> & { url: string };
    const download = await downloadAuthenticated(bob, url);
    expect(download.bytes.equals(ciphertext)).toBe(true);
    expect(download.bytes.equals(AVATAR_PNG)).toBe(false);
    const decrypted = wasm.Attachment.decrypt(
      new wasm.EncryptedAttachment(new Uint8Array(download.bytes), JSON.stringify(receivedInfo)),
    );
    expect(Buffer.from(decrypted).equals(AVATAR_PNG)).toBe(true);
  }, 90_000);
});
