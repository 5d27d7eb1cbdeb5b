import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { Errors, MatrixError } from '@lattice/http';
import { mxcUri } from '@lattice/protocol';
import { ContentReferences } from '../content-references';
import { isUploaded } from '../metadata/media-record';
import { MediaStore } from '../metadata/media-store';
import { BlobTooLargeError, MediaStorage, type StoredBlob } from '../storage/media-storage';
import { ThumbnailPregenerator } from '../thumbnails/thumbnail-pregenerator';
import { uploadLimitsOf } from './upload-limits';

/** One upload as the HTTP layer hands it over. */
export interface UploadRequest {
  tenant: TenantConfig;
  userId: string;
  body: Readable;
  /** The Content-Length header, when the client sent one. */
  declaredLength: number | undefined;
  contentType: string;
  uploadName: string | null;
}

/** 24 random bytes as URL-safe base64: 32 characters of the media ID alphabet, unguessable. */
export function newMediaId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Uploads (client-server-api "Content repository"): POST /upload in one go,
 * or POST /create for an mxc:// URI and PUT /upload/{serverName}/{mediaId}
 * for its bytes later. Bytes stream to storage; the limits (the tenant's
 * largest upload, the user's quota) are checked from Content-Length before
 * anything is read and enforced again while the bytes arrive.
 */
@Injectable()
export class MediaUploads {
  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly references: ContentReferences,
    private readonly pregenerator: ThumbnailPregenerator,
  ) {}

  async upload(request: UploadRequest): Promise<string> {
    const blob = await this.receive(request);
    const mediaId = newMediaId();
    const origin = request.tenant.serverName;
    await this.references.attach(blob, async (rows) => {
      await rows.insertUploaded({
        origin,
        mediaId,
        tenant: origin,
        uploaderUserId: request.userId,
        now: Date.now(),
        contentType: request.contentType,
        uploadName: request.uploadName,
        size: blob.size,
      });
      return true;
    });
    this.pregenerator.uploaded(origin, mediaId);
    return mxcUri(origin, mediaId);
  }

  /**
   * POST /media/v1/create: an mxc:// URI to upload to later, expiring unused
   * after media.pendingUploadLifetimeMs. A user may hold only so many at once
   * (the spec asks for a limit on concurrent pending uploads, M_LIMIT_EXCEEDED).
   */
  async create(tenant: TenantConfig, userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
    const now = Date.now();
    if ((await this.store.pendingCount(userId, now)) >= this.config.media.maxPendingUploadsPerUser) {
      throw new MatrixError(
        429,
        'M_LIMIT_EXCEEDED',
        'Too many pending uploads; upload to or let expire the ones created earlier',
        { retry_after_ms: 60_000 },
      );
    }
    const mediaId = newMediaId();
    const expiresAt = now + this.config.media.pendingUploadLifetimeMs;
    await this.store.insertPending({
      origin: tenant.serverName,
      mediaId,
      tenant: tenant.serverName,
      uploaderUserId: userId,
      now,
      expiresAt,
    });
    return { content_uri: mxcUri(tenant.serverName, mediaId), unused_expires_at: expiresAt };
  }

  /** PUT /media/v3/upload/{serverName}/{mediaId}: the bytes of an mxc:// URI from create. */
  async uploadTo(request: UploadRequest & { serverName: string; mediaId: string }): Promise<void> {
    const pending = await this.store.find(request.serverName, request.mediaId);
    if (!pending || request.serverName !== request.tenant.serverName) throw Errors.notFound('Unknown media ID');
    if (pending.uploaderUserId !== request.userId) throw Errors.forbidden('This media ID was created by another user');
    if (isUploaded(pending)) throw cannotOverwrite();
    if (pending.unusedExpiresAt !== null && pending.unusedExpiresAt <= Date.now())
      throw Errors.notFound('This media ID has expired');
    const blob = await this.receive(request);
    const content = { contentType: request.contentType, uploadName: request.uploadName, size: blob.size };
    const written = await this.references.attach(blob, (rows) =>
      rows.completePending(request.serverName, request.mediaId, content, Date.now()),
    );
    if (!written) {
      // Lost to a concurrent upload to the same URI, or the URI expired and was swept meanwhile.
      throw (await this.store.find(request.serverName, request.mediaId))
        ? cannotOverwrite()
        : Errors.notFound('This media ID has expired');
    }
    this.pregenerator.uploaded(request.serverName, request.mediaId);
  }

  /** Streams the body to storage under the tenant's limit and the user's remaining quota. */
  private async receive(request: UploadRequest): Promise<StoredBlob> {
    const limits = uploadLimitsOf(this.config, request.tenant);
    const quotaLeft =
      limits.userQuotaBytes === undefined
        ? Infinity
        : limits.userQuotaBytes - (await this.store.bytesUploadedBy(request.userId));
    const tooLarge = () => Errors.tooLarge(`Cannot upload files larger than ${limits.maxUploadBytes} bytes`);
    // The spec's 403 for "the user has reached a quota for uploaded content".
    const overQuota = () => Errors.forbidden('Your media quota would be exceeded by this upload');
    if (request.declaredLength !== undefined) {
      if (request.declaredLength > limits.maxUploadBytes) throw tooLarge();
      if (request.declaredLength > quotaLeft) throw overQuota();
    }
    const maxBytes = Math.min(limits.maxUploadBytes, quotaLeft);
    try {
      return await this.storage.put(request.body, { maxBytes });
    } catch (e) {
      if (e instanceof BlobTooLargeError) throw maxBytes < limits.maxUploadBytes ? overQuota() : tooLarge();
      throw e;
    }
  }
}

function cannotOverwrite(): MatrixError {
  return new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'Media already uploaded');
}
