import type { Readable } from 'node:stream';
import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import { isValidMediaId } from '@lattice/protocol';
import { contentDisposition } from '../download/content-disposition';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, MediaDownloads, type LocateOptions } from '../download/media-downloads';
import { integerParam } from '../download/media-params';
import { MediaStorage } from '../storage/media-storage';
import { MediaThumbnails } from '../thumbnails/media-thumbnails';
import { thumbnailRequestOf, type ThumbnailQuery } from '../thumbnails/thumbnail.controller';
import { FederationMediaAuthGuard } from './federation-media-auth.guard';
import { newBoundary, writeMultipartMixed } from './multipart-mixed';

/**
 * Our users' media for other servers (server-server-api "Content
 * Repository", v1.11): GET /media/download and /media/thumbnail, signed
 * requests only, answered as multipart/mixed (an empty JSON metadata part,
 * then the bytes with their own headers). Only this tenant's own media is
 * served: a server asks the media's origin, never a third server.
 */
@Controller('_matrix/federation/v1/media')
@UseGuards(FederationMediaAuthGuard)
export class FederationMediaController {
  constructor(
    private readonly downloads: MediaDownloads,
    private readonly thumbnails: MediaThumbnails,
    private readonly storage: MediaStorage,
  ) {}

  @Get('download/:mediaId')
  @Public()
  async download(
    @Tenant() tenant: TenantConfig,
    @Param('mediaId') mediaId: string,
    @Query('timeout_ms') timeout: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const media = await this.downloads.locate(tenant.serverName, validMediaId(mediaId), locateOptions(tenant, timeout));
    const contentType = media.contentType ?? 'application/octet-stream';
    const body = await this.downloads.open(media);
    await this.answer(
      reply,
      {
        'Content-Type': contentType,
        'Content-Disposition': contentDisposition(contentType, media.uploadName),
        'Content-Length': String(media.size),
      },
      body,
    );
  }

  @Get('thumbnail/:mediaId')
  @Public()
  async thumbnail(
    @Tenant() tenant: TenantConfig,
    @Param('mediaId') mediaId: string,
    @Query() query: ThumbnailQuery,
    @Res() reply: FastifyReply,
  ) {
    const served = await this.thumbnails.serve(
      tenant.serverName,
      validMediaId(mediaId),
      thumbnailRequestOf(query),
      locateOptions(tenant, query.timeout_ms),
    );
    const described =
      served.kind === 'thumbnail'
        ? served.thumbnail
        : {
            contentType: served.media.contentType ?? 'application/octet-stream',
            sha256: served.media.sha256,
            size: served.media.size,
          };
    const body =
      served.kind === 'thumbnail'
        ? await this.storage.get(served.thumbnail.sha256)
        : await this.downloads.open(served.media);
    await this.answer(
      reply,
      {
        'Content-Type': described.contentType,
        'Content-Disposition': contentDisposition(described.contentType, null),
        'Content-Length': String(described.size),
      },
      body,
    );
  }

  private async answer(reply: FastifyReply, headers: Record<string, string>, body: Readable): Promise<void> {
    const boundary = newBoundary();
    await reply
      .status(200)
      .header('content-type', `multipart/mixed; boundary=${boundary}`)
      .send(writeMultipartMixed(boundary, {}, { headers, body }));
  }
}

function validMediaId(mediaId: string): string {
  if (!isValidMediaId(mediaId)) throw Errors.invalidParam('mediaId may only hold A-Z, a-z, 0-9, _ and -');
  return mediaId;
}

/** Another server asks for our media: never fetched onward, authenticated (not subject to the freeze). */
function locateOptions(tenant: TenantConfig, timeout: string | undefined): LocateOptions {
  return {
    tenant,
    unauthenticated: false,
    allowRemote: false,
    timeoutMs: integerParam(timeout, 'timeout_ms', DEFAULT_DOWNLOAD_TIMEOUT_MS),
  };
}
