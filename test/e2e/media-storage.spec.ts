import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlobTooLargeError, LocalMediaStorage, type MediaStorage } from '../../libs/media/src';
import { S3MediaStorage } from '../../libs/media/src/storage/s3-media-storage';
import { pseudoRandomBytes } from '../support/media-flows';
import {
  motoServerBinary,
  S3_SKIP_REASON,
  S3_TEST_CREDENTIALS,
  startS3Server,
  type RunningS3Server,
} from '../support/s3-server';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A stream of `bytes` in 64 KiB chunks, as a request body arrives. */
function chunked(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What every MediaStorage backend must do; `staged` lists what an upload left aside (nothing, once put has returned or failed). */
function storageContract(open: () => Promise<{ storage: MediaStorage; staged: () => Promise<string[]> }>): void {
  let storage: MediaStorage;
  let staged: () => Promise<string[]>;

  beforeAll(async () => ({ storage, staged } = await open()), 60_000);

  it('stores a stream under its SHA-256 and gives the same bytes back', async () => {
    const bytes = pseudoRandomBytes(300_000, 'contract-roundtrip');
    const blob = await storage.put(chunked(bytes), { maxBytes: 1_000_000 });
    expect(blob).toEqual({ sha256: sha256(bytes), size: bytes.length });
    expect((await readAll(await storage.get(blob.sha256))).equals(bytes)).toBe(true);
  });

  it('streams content larger than a multipart part (8 MiB) through', async () => {
    const bytes = pseudoRandomBytes(20 * 1024 * 1024, 'contract-large');
    const blob = await storage.put(chunked(bytes), { maxBytes: 64 * 1024 * 1024 });
    expect(blob.sha256).toBe(sha256(bytes));
    expect(sha256(await readAll(await storage.get(blob.sha256)))).toBe(sha256(bytes));
  }, 60_000);

  it('keeps identical content once: a second put gives the same key', async () => {
    const bytes = pseudoRandomBytes(1000, 'contract-dedupe');
    const first = await storage.put(chunked(bytes), { maxBytes: 10_000 });
    const second = await storage.put(chunked(bytes), { maxBytes: 10_000 });
    expect(second).toEqual(first);
    expect((await readAll(await storage.get(first.sha256))).equals(bytes)).toBe(true);
  });

  it('gives a byte range', async () => {
    const bytes = pseudoRandomBytes(5000, 'contract-range');
    const blob = await storage.put(chunked(bytes), { maxBytes: 10_000 });
    expect(
      (await readAll(await storage.get(blob.sha256, { start: 100, end: 1099 }))).equals(bytes.subarray(100, 1100)),
    ).toBe(true);
  });

  it('refuses content over the limit and keeps nothing of it', async () => {
    const bytes = pseudoRandomBytes(200_000, 'contract-too-large');
    await expect(storage.put(chunked(bytes), { maxBytes: 100_000 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await storage.exists(sha256(bytes))).toBe(false);
    expect(await staged()).toEqual([]);
  });

  it('deletes a blob, and deleting a missing one is no error', async () => {
    const blob = await storage.put(chunked(pseudoRandomBytes(100, 'contract-delete')), { maxBytes: 1000 });
    expect(await storage.exists(blob.sha256)).toBe(true);
    await storage.delete(blob.sha256);
    expect(await storage.exists(blob.sha256)).toBe(false);
    await storage.delete(blob.sha256);
    await expect(storage.get(blob.sha256)).rejects.toThrow();
  });
}

describe('local media storage', () =>
  storageContract(async () => {
    const root = mkdtempSync(join(tmpdir(), 'lattice-media-'));
    return { storage: new LocalMediaStorage(root), staged: async () => readdirSync(join(root, 'incoming')) };
  }));

const moto = motoServerBinary();

(moto ? describe : describe.skip)(
  moto ? 'S3 media storage against moto_server on loopback' : `S3 media storage (skipped: ${S3_SKIP_REASON})`,
  () => {
    let s3: RunningS3Server;
    let storage: S3MediaStorage;
    afterAll(async () => {
      storage?.close();
      await s3?.close();
    });

    storageContract(async () => {
      s3 = await startS3Server(moto!);
      const bucket = await s3.newBucket('lattice-media');
      storage = new S3MediaStorage({
        bucket,
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        prefix: 'media/',
        ...S3_TEST_CREDENTIALS,
      });
      const client = new S3Client({
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: S3_TEST_CREDENTIALS,
      });
      const staged = async () =>
        (
          (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'media/incoming/' }))).Contents ?? []
        ).map((o) => o.Key!);
      return { storage, staged };
    });
  },
);
