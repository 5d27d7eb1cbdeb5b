import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { registerClient } from './matrix-client';

/**
 * Bytes that look random (so nothing along the way can compress or dedupe them by accident) and are the same every
 * run: AES-CTR's keystream under a key made of the seed, fast enough that 20 MB do not block the event loop (of the
 * server too, in process) for seconds as a hash chain did.
 */
export function pseudoRandomBytes(length: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

export const AVATAR_PNG = readFileSync(join(__dirname, '../fixtures/media/avatar.png'));

/** Downloads an mxc:// URI through the authenticated endpoint, as matrix-js-sdk builds its URL. */
export async function downloadAuthenticated(
  client: MatrixClient,
  mxc: string,
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const url = client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  if (!url) throw new Error(`matrix-js-sdk made no URL of ${mxc}`);
  const response = await fetch(url, { headers: { authorization: `Bearer ${client.getAccessToken()}` } });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * client-server-api "Content repository" through matrix-js-sdk: what a
 * client needs to send an avatar or a file, and get it back unchanged.
 */
export function mediaFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  let alice: MatrixClient;
  let bob: MatrixClient;

  beforeAll(async () => {
    server = await start();
    alice = await registerClient(server.url, `media-alice-${Date.now()}`);
    bob = await registerClient(server.url, `media-bob-${Date.now()}`);
  }, 120_000);
  afterAll(async () => server.close());

  it('uploads an avatar that every user downloads byte-identical', async () => {
    const { content_uri } = await alice.uploadContent(AVATAR_PNG, { name: 'avatar.png', type: 'image/png' });
    await alice.setAvatarUrl(content_uri);
    const profile = await bob.getProfileInfo(alice.getUserId()!);
    expect(profile.avatar_url).toBe(content_uri);
    const download = await downloadAuthenticated(bob, content_uri);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(download.bytes.equals(AVATAR_PNG)).toBe(true);
  });

  it('uploads a 20 MB file and downloads it byte-identical', async () => {
    const file = pseudoRandomBytes(20 * 1024 * 1024, `twenty-megabytes-${Date.now()}`);
    const { content_uri } = await alice.uploadContent(file, { name: 'big.bin', type: 'application/octet-stream' });
    const download = await downloadAuthenticated(bob, content_uri);
    expect(download.status).toBe(200);
    expect(download.bytes.length).toBe(file.length);
    expect(sha256(download.bytes)).toBe(sha256(file));
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="big.bin"');
    // Minutes, not seconds: on S3 (moto, in Python) a loaded machine takes over a minute for the round trip.
  }, 300_000);
}
