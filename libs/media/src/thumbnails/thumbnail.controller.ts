import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TenantConfig } from '@lattice/config';
import { Errors, GuestAllowed, Public, RateLimited, Tenant, type MatrixRequest } from '@lattice/http';
import { isValidMediaId, isValidServerName } from '@lattice/protocol';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, MediaDownloads } from '../download/media-downloads';
import { booleanParam, integerParam } from '../download/media-params';
import { setServedMediaHeaders } from '../download/served-media-headers';
import { MediaStorage } from '../storage/media-storage';
import { MediaThumbnails, type ServedThumbnail } from './media-thumbnails';
import type { ThumbnailRequest } from './thumbnailer';

export interface ThumbnailQuery {
  width?: string;
  height?: string;
  method?: string;
  animated?: string;
  allow_remote?: string;
  timeout_ms?: string;
}

/** The width, height, method and animated parameters of a thumbnail request (client-server-api GET /media/thumbnail). */
export function thumbnailRequestOf(query: ThumbnailQuery): ThumbnailRequest {
  if (query.width === undefined || query.height === undefined)
    throw Errors.missingParam('width and height are required');
  const width = integerParam(query.width, 'width', 0);
  const height = integerParam(query.height, 'height', 0);
  if (width < 1 || height < 1) throw Errors.invalidParam('width and height must be positive');
  const method = query.method ?? 'scale';
  if (method !== 'crop' && method !== 'scale') throw Errors.invalidParam('method must be crop or scale');
  return { width, height, method, animated: booleanParam(query.animated, 'animated', false) };
}

/** Thumbnails: the authenticated endpoint (v1.11) and the deprecated unauthenticated one, which serves only media from before the freeze. */
@Controller()
export class ThumbnailController {
  constructor(
    private readonly thumbnails: MediaThumbnails,
    private readonly downloads: MediaDownloads,
    private readonly storage: MediaStorage,
  ) {}

  // Guests may fetch thumbnails (client-server-api "Guest Access", since v1.12).
  @Get('_matrix/client/v1/media/thumbnail/:serverName/:mediaId')
  @GuestAllowed()
  @RateLimited()
  thumbnail(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
    @Query() query: ThumbnailQuery,
    @Req() request: MatrixRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.serve({ tenant, serverName, mediaId, query, request, reply, unauthenticated: false });
  }

  @Get('_matrix/media/v3/thumbnail/:serverName/:mediaId')
  @Public()
  @RateLimited()
  legacyThumbnail(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
    @Query() query: ThumbnailQuery,
    @Req() request: MatrixRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.serve({ tenant, serverName, mediaId, query, request, reply, unauthenticated: true });
  }

  private async serve(req: {
    tenant: TenantConfig;
    serverName: string;
    mediaId: string;
    query: ThumbnailQuery;
    request: MatrixRequest;
    reply: FastifyReply;
    unauthenticated: boolean;
  }): Promise<void> {
    if (!isValidServerName(req.serverName)) throw Errors.invalidParam('serverName is not a valid server name');
    if (!isValidMediaId(req.mediaId)) throw Errors.invalidParam('mediaId may only hold A-Z, a-z, 0-9, _ and -');
    const served = await this.thumbnails.serve(req.serverName, req.mediaId, thumbnailRequestOf(req.query), {
      tenant: req.tenant,
      unauthenticated: req.unauthenticated,
      allowRemote: booleanParam(req.query.allow_remote, 'allow_remote', true),
      timeoutMs: integerParam(req.query.timeout_ms, 'timeout_ms', DEFAULT_DOWNLOAD_TIMEOUT_MS),
    });
    const { contentType, sha256, size } = describe(served);
    const etag = `"${sha256}"`;
    setServedMediaHeaders(req.reply, { contentType, fileName: null, unauthenticated: req.unauthenticated, etag });
    if (req.request.headers['if-none-match'] === etag) {
      await req.reply.status(304).send();
      return;
    }
    const body = served.kind === 'original' ? await this.downloads.open(served.media) : await this.storage.get(sha256);
    await req.reply.status(200).header('content-length', size).send(body);
  }
}

function describe(served: ServedThumbnail): { contentType: string; sha256: string; size: number } {
  if (served.kind === 'thumbnail') return served.thumbnail;
  return {
    contentType: served.media.contentType ?? 'application/octet-stream',
    sha256: served.media.sha256,
    size: served.media.size,
  };
}
