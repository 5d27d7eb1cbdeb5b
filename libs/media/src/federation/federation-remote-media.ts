import { Inject, Injectable, Logger } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { MatrixError } from '@lattice/http';
import { ContentReferences } from '../content-references';
import { RemoteMedia } from '../download/remote-media';
import type { MediaRecord } from '../metadata/media-record';
import { MediaStore } from '../metadata/media-store';
import { BlobTooLargeError, MediaStorage } from '../storage/media-storage';
import { RemoteMediaFetcher, RemoteMediaUnavailable } from './remote-media-fetcher';

/**
 * Other servers' media, fetched over federation on first request and cached
 * in the `media` table (origin = their server, no uploader) and the media
 * storage; from then on it is served like local media. Remote media larger
 * than the tenant's upload limit is refused with 502 M_TOO_LARGE, as the
 * spec's security considerations ask.
 */
@Injectable()
export class FederationRemoteMedia extends RemoteMedia {
  private readonly logger = new Logger(FederationRemoteMedia.name);
  /** Concurrent requests for one uncached mxc:// URI share one fetch. */
  private readonly inFlight = new Map<string, Promise<MediaRecord | undefined>>();

  constructor(
    private readonly fetcher: RemoteMediaFetcher,
    private readonly storage: MediaStorage,
    private readonly store: MediaStore,
    private readonly references: ContentReferences,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
  ) {
    super();
  }

  override fetch(origin: string, mediaId: string, tenant: TenantConfig): Promise<MediaRecord | undefined> {
    const key = `${origin}/${mediaId}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchAndCache(origin, mediaId, tenant).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async fetchAndCache(origin: string, mediaId: string, tenant: TenantConfig): Promise<MediaRecord | undefined> {
    const fetched = await this.fetcher.download(tenant.serverName, origin, mediaId).catch((e: Error) => {
      if (e instanceof RemoteMediaUnavailable) return undefined;
      throw e;
    });
    if (!fetched) return undefined;
    const limit = tenant.media.maxUploadBytes ?? this.config.media.maxUploadBytes;
    const tooLarge = () =>
      new MatrixError(502, 'M_TOO_LARGE', `Remote media larger than ${limit} bytes is not served here`);
    if (fetched.declaredLength !== undefined && fetched.declaredLength > limit) {
      fetched.body.destroy();
      throw tooLarge();
    }
    const blob = await this.storage.put(fetched.body, { maxBytes: limit }).catch((e: Error) => {
      throw e instanceof BlobTooLargeError ? tooLarge() : e;
    });
    const now = Date.now();
    await this.references
      .attach(blob, async (rows) => {
        await rows.insertUploaded({
          origin,
          mediaId,
          tenant: tenant.serverName,
          uploaderUserId: null,
          now,
          contentType: fetched.contentType,
          uploadName: fetched.fileName || null,
          size: blob.size,
        });
        return true;
      })
      .catch(async (e: Error) => {
        // Another replica cached it first (the row's key is taken): theirs is the same media.
        if (!(await this.store.find(origin, mediaId))) throw e;
        this.logger.debug(`${origin}/${mediaId} was cached concurrently: ${e.message}`);
      });
    return this.store.find(origin, mediaId);
  }
}
