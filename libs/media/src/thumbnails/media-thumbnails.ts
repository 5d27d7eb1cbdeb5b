import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { loadSharp } from '../images/load-sharp';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig } from '@lattice/config';
import { Errors, MatrixError } from '@lattice/http';
import { ContentReferences } from '../content-references';
import { MediaDownloads, type LocateOptions, type UploadedMedia } from '../download/media-downloads';
import { RemoteMediaFetcher, RemoteMediaUnavailable } from '../federation/remote-media-fetcher';
import type { StoredThumbnail, ThumbnailKey } from '../metadata/media-record';
import { MediaStore } from '../metadata/media-store';
import { MediaStorage } from '../storage/media-storage';
import { closestThumbnail } from './thumbnail-geometry';
import { ThumbnailStore } from './thumbnail-store';
import { ThumbnailRefused, Thumbnailer, type ThumbnailRequest } from './thumbnailer';
import { WorkLimiter } from './work-limiter';

/** What answers a thumbnail request: a stored thumbnail, or the original when it is no larger than asked. */
export type ServedThumbnail =
  { kind: 'thumbnail'; thumbnail: StoredThumbnail } | { kind: 'original'; media: UploadedMedia };

/** The types a thumbnail fetched from another server may have (server-server-api GET /media/thumbnail). */
const REMOTE_THUMBNAIL_TYPES = new Set(['image/png', 'image/apng', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Thumbnails (client-server-api "Thumbnails"), local and remote media alike:
 * a request is answered by the thumbnail made for that very request if
 * there is one, else by the closest already-made thumbnail not smaller than
 * asked (remembered for the request), else by one made now. Remote media's
 * thumbnails are asked of its server first, so a small thumbnail never
 * needs a large original fetched; when the server cannot make one, the
 * original is fetched and thumbnailed here.
 */
@Injectable()
export class MediaThumbnails {
  private readonly logger = new Logger(MediaThumbnails.name);
  private readonly thumbnailer: Thumbnailer;
  /** One thumbnail made per core at a time, and one request's work shared by identical concurrent requests. */
  private readonly work = new WorkLimiter(Math.max(1, availableParallelism()));

  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly tenants: TenantDirectory,
    private readonly downloads: MediaDownloads,
    private readonly media: MediaStore,
    private readonly thumbnails: ThumbnailStore,
    private readonly storage: MediaStorage,
    private readonly references: ContentReferences,
    private readonly fetcher: RemoteMediaFetcher,
  ) {
    this.thumbnailer = new Thumbnailer({ maxPixels: config.media.thumbnails.maxPixels });
  }

  async serve(
    serverName: string,
    mediaId: string,
    request: ThumbnailRequest,
    options: LocateOptions,
  ): Promise<ServedThumbnail> {
    const key: ThumbnailKey = {
      origin: serverName,
      mediaId,
      width: request.width,
      height: request.height,
      method: request.method,
      animated: request.animated,
    };
    if (!this.tenants.isLocal(serverName) && options.allowRemote && !(await this.media.find(serverName, mediaId))) {
      const remote = await this.fromRemoteServer(key, options);
      if (remote) return { kind: 'thumbnail', thumbnail: remote };
    }
    const media = await this.downloads.locate(serverName, mediaId, options);
    const stored = await this.thumbnails.find(key);
    if (stored) return { kind: 'thumbnail', thumbnail: stored };
    return this.work.run(keyOf(key), async () => this.fromOriginal(media, key, await this.source(media)));
  }

  /** Makes the configured sizes of a just-uploaded image (media.thumbnails.sizes), reading it once. */
  async pregenerate(media: UploadedMedia): Promise<void> {
    if (!Thumbnailer.canThumbnail(media.contentType ?? '') || media.size > this.config.media.thumbnails.maxSourceBytes)
      return;
    const source = await this.source(media);
    for (const size of this.config.media.thumbnails.sizes) {
      const key: ThumbnailKey = { origin: media.origin, mediaId: media.mediaId, ...size, animated: false };
      if (await this.thumbnails.find(key)) continue;
      await this.work.run(keyOf(key), () => this.fromOriginal(media, key, source));
    }
  }

  private async fromOriginal(media: UploadedMedia, key: ThumbnailKey, source: Buffer): Promise<ServedThumbnail> {
    const prepared = await this.thumbnailer.prepare(source, media.contentType ?? '', key).catch((e: Error) => {
      throw e instanceof ThumbnailRefused ? this.refusal(e, media.origin) : e;
    });
    if (prepared.kind === 'original') return { kind: 'original', media };
    const made = (await this.thumbnails.ofMedia(media.origin, media.mediaId)).filter(
      (t) => t.animated === prepared.animated,
    );
    const closest = closestThumbnail(
      made.map((t) => ({ ...t, width: t.actualWidth, height: t.actualHeight })),
      prepared,
    );
    if (closest)
      return {
        kind: 'thumbnail',
        thumbnail: await this.remember(key, closest, { sha256: closest.sha256, size: closest.size }),
      };
    const thumbnail = await prepared.make();
    const blob = await this.storage.put(Readable.from([thumbnail.bytes]), { maxBytes: thumbnail.bytes.length });
    const stored = { contentType: thumbnail.contentType, actualWidth: thumbnail.width, actualHeight: thumbnail.height };
    return { kind: 'thumbnail', thumbnail: await this.remember(key, stored, blob) };
  }

  /** Asks the media's server for the thumbnail; undefined when it cannot make one (the original is then thumbnailed here). */
  private async fromRemoteServer(key: ThumbnailKey, options: LocateOptions): Promise<StoredThumbnail | undefined> {
    // What is fetched now, or was since the freeze, is "newly cached", which the freeze keeps off the unauthenticated endpoints.
    if (options.unauthenticated && Date.now() >= this.config.media.unauthenticatedFreezeTs)
      throw Errors.notFound('Media not found');
    const stored = await this.thumbnails.find(key);
    if (stored) return stored;
    try {
      const fetched = await this.fetcher.thumbnail(options.tenant.serverName, key.origin, key.mediaId, key);
      const limit = this.config.media.thumbnails.maxSourceBytes;
      if (
        !REMOTE_THUMBNAIL_TYPES.has((fetched.contentType ?? '').split(';')[0].trim()) ||
        (fetched.declaredLength ?? 0) > limit
      ) {
        fetched.body.destroy();
        this.logger.debug(
          `${key.origin} answered a thumbnail of type ${fetched.contentType} and length ${fetched.declaredLength}: making one here instead`,
        );
        return undefined;
      }
      const bytes = await readAll(fetched.body, limit);
      const sharp = await loadSharp();
      const decoded = await sharp(bytes).metadata();
      const contentType = `image/${decoded.format}`;
      if (!REMOTE_THUMBNAIL_TYPES.has(contentType)) {
        this.logger.debug(`${key.origin}'s thumbnail decodes as ${decoded.format}: making one here instead`);
        return undefined;
      }
      const blob = await this.storage.put(Readable.from([bytes]), { maxBytes: bytes.length });
      return this.remember(
        key,
        { contentType, actualWidth: decoded.width, actualHeight: decoded.pageHeight ?? decoded.height },
        blob,
      );
    } catch (e) {
      if (e instanceof RemoteMediaUnavailable && e.status === 404) throw Errors.notFound('Media not found');
      this.logger.debug(
        `No thumbnail of mxc://${key.origin}/${key.mediaId} from its server (${(e as Error).message}): making one here from the original`,
      );
      return undefined;
    }
  }

  /** Records a thumbnail of stored bytes as the answer to `key`'s request (a concurrent identical request may have recorded it first). */
  private async remember(
    key: ThumbnailKey,
    thumbnail: { contentType: string; actualWidth: number; actualHeight: number },
    blob: { sha256: string; size: number },
  ): Promise<StoredThumbnail> {
    const record = {
      ...key,
      contentType: thumbnail.contentType,
      actualWidth: thumbnail.actualWidth,
      actualHeight: thumbnail.actualHeight,
      size: blob.size,
    };
    await this.references.attach(blob, (rows) => rows.insertThumbnail(record, Date.now()));
    const stored = await this.thumbnails.find(key);
    if (!stored) throw Errors.unknown('The thumbnail was removed while being made; please retry');
    return stored;
  }

  private async source(media: UploadedMedia): Promise<Buffer> {
    if (!Thumbnailer.canThumbnail(media.contentType ?? ''))
      throw new MatrixError(400, 'M_UNKNOWN', 'Cannot generate thumbnails for the requested content');
    const limit = this.config.media.thumbnails.maxSourceBytes;
    if (media.size > limit)
      throw this.refusal(
        new ThumbnailRefused('too-large', `Cannot thumbnail files larger than ${limit} bytes`),
        media.origin,
      );
    return readAll(await this.storage.get(media.sha256), limit);
  }

  /** The spec's errors: 400 M_UNKNOWN for content that cannot be thumbnailed; M_TOO_LARGE, 413 for local media and 502 for remote. */
  private refusal(e: ThumbnailRefused, origin: string): MatrixError {
    if (e.reason === 'unsupported')
      return new MatrixError(400, 'M_UNKNOWN', `Cannot generate thumbnails for the requested content: ${e.message}`);
    return new MatrixError(
      this.tenants.isLocal(origin) ? 413 : 502,
      'M_TOO_LARGE',
      `Content is too large to thumbnail: ${e.message}`,
    );
  }
}

function keyOf(key: ThumbnailKey): string {
  return `${key.origin}/${key.mediaId}/${key.width}x${key.height}/${key.method}/${key.animated}`;
}

async function readAll(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new MatrixError(502, 'M_TOO_LARGE', `Content is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
