import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { Errors, MatrixError } from '@lattice/http';
import { isUploaded, type MediaRecord } from '../metadata/media-record';
import { MediaStore } from '../metadata/media-store';
import { MediaAccessTimes } from './media-access-times';
import { MediaStorage, type ByteRange } from '../storage/media-storage';
import { RemoteMedia } from './remote-media';

export type UploadedMedia = MediaRecord & { size: number; sha256: string; uploadedTs: number };

export interface LocateOptions {
  tenant: TenantConfig;
  /** The deprecated unauthenticated endpoints, which do not serve media uploaded after the freeze. */
  unauthenticated: boolean;
  allowRemote: boolean;
  /** How long to wait for the bytes of an mxc:// URI created but not yet uploaded to. */
  timeoutMs: number;
}

/** The spec's default for timeout_ms, and the most this server waits whatever the client asks. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 20_000;
const MAX_DOWNLOAD_TIMEOUT_MS = 60_000;
const PENDING_POLL_MS = 250;

/**
 * Finds media to serve and opens its bytes (noting the download's time):
 * waits for a pending upload, and refuses (404, as if it did not exist) media that is quarantined, whose
 * uploader asked to be erased, or that is frozen out of the unauthenticated
 * endpoints.
 */
@Injectable()
export class MediaDownloads {
  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly tenants: TenantDirectory,
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly remote: RemoteMedia,
    private readonly accessTimes: MediaAccessTimes,
  ) {}

  async locate(origin: string, mediaId: string, options: LocateOptions): Promise<UploadedMedia> {
    const record = await this.uploaded(origin, mediaId, options);
    if (record.quarantined) throw notFound();
    if (record.uploaderUserId !== null && (await this.store.isErased(record.uploaderUserId))) throw notFound();
    // client-server-api "Content repository", the v1.11 freeze: for remote media "newly uploaded" is when it was cached, which uploadedTs records too.
    if (options.unauthenticated && record.uploadedTs >= this.config.media.unauthenticatedFreezeTs) {
      throw Errors.notFound(
        'This media is only available from the authenticated endpoints (/_matrix/client/v1/media/download)',
      );
    }
    this.accessTimes.noteDownload(record);
    return record;
  }

  open(media: UploadedMedia, range?: ByteRange): Promise<Readable> {
    return this.storage.get(media.sha256, range);
  }

  private async uploaded(origin: string, mediaId: string, options: LocateOptions): Promise<UploadedMedia> {
    const deadline = Date.now() + Math.min(Math.max(options.timeoutMs, 0), MAX_DOWNLOAD_TIMEOUT_MS);
    for (;;) {
      const record = (await this.store.find(origin, mediaId)) ?? (await this.fetchRemote(origin, mediaId, options));
      if (!record) throw notFound();
      if (isUploaded(record)) return record;
      if (record.unusedExpiresAt !== null && record.unusedExpiresAt <= Date.now()) throw notFound();
      if (Date.now() >= deadline) throw new MatrixError(504, 'M_NOT_YET_UPLOADED', 'Content has not yet been uploaded');
      await sleep(PENDING_POLL_MS);
    }
  }

  private async fetchRemote(origin: string, mediaId: string, options: LocateOptions): Promise<MediaRecord | undefined> {
    if (this.tenants.isLocal(origin) || !options.allowRemote) return undefined;
    // Media cached now is "newly uploaded" for the freeze: the unauthenticated endpoints would refuse it, so it is not fetched for them.
    if (options.unauthenticated && Date.now() >= this.config.media.unauthenticatedFreezeTs) return undefined;
    return this.remote.fetch(origin, mediaId, options.tenant);
  }
}

function notFound(): MatrixError {
  return Errors.notFound('Media not found');
}
