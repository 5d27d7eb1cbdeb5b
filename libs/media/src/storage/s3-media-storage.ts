import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { OnApplicationShutdown } from '@nestjs/common';
import { metered } from './hashing-meter';
import { isSha256Hex, MediaStorage, type ByteRange, type StoredBlob } from './media-storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server's URL (MinIO, SeaweedFS, Ceph...); unset for AWS itself. */
  endpoint?: string;
  /** `endpoint/bucket/key` rather than `bucket.endpoint/key`: what most self-hosted servers need. */
  forcePathStyle: boolean;
  /** Prepended to every key, so one bucket can hold several deployments. */
  prefix: string;
  /** Unset: the AWS SDK's default chain (AWS_ACCESS_KEY_ID..., instance roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Parts of a multipart upload: S3's minimum part size is 5 MiB; two in flight bound memory per upload at about 16 MiB. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/**
 * Blobs as objects in an S3-compatible bucket, so every media replica of a
 * deployment shares one store. An upload streams to `incoming/<uuid>` as a
 * multipart upload (its hash is known only at its end), then is copied
 * server-side to `sha256/<hash>` and the staging object removed.
 */
export class S3MediaStorage extends MediaStorage implements OnApplicationShutdown {
  private readonly client: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    super();
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      // The SDK's default CRC32 checksums on every request and response are not implemented alike by S3-compatible servers
      // (moto reports a copied multipart object's checksum that no GET matches; older MinIO and Ceph refuse them): only where S3 requires one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
    });
  }

  async put(body: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const meter = metered(body, options.maxBytes);
    const staging = this.key(`incoming/${randomUUID()}`);
    await new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: staging, Body: meter },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
    }).done();
    const blob = meter.result();
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.options.bucket,
          Key: this.blobKey(blob.sha256),
          CopySource: `${this.options.bucket}/${staging}`,
        }),
      );
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: staging }));
    }
    return blob;
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const answer = await this.client.send(
      new GetObjectCommand({
        Bucket: this.options.bucket,
        Key: this.blobKey(sha256),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    if (!(answer.Body instanceof Readable)) throw new Error(`S3 returned no stream for blob ${sha256}`);
    return answer.Body;
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(sha256) }));
      return true;
    } catch (e) {
      if (e instanceof NotFound || (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404))
        return false;
      throw e;
    }
  }

  async delete(sha256: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(sha256) }));
  }

  /** Closes the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  onApplicationShutdown(): void {
    this.close();
  }

  private blobKey(sha256: string): string {
    if (!isSha256Hex(sha256)) throw new Error(`Not a SHA-256 blob key: ${sha256}`);
    return this.key(`sha256/${sha256}`);
  }

  private key(name: string): string {
    return `${this.options.prefix}${name}`;
  }
}
