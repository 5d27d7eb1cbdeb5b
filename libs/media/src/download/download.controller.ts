import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TenantConfig } from '@lattice/config';
import { Errors, GuestAllowed, Public, Tenant, type MatrixRequest } from '@lattice/http';
import { isValidMediaId, isValidServerName } from '@lattice/protocol';
import { answerRange } from './byte-range';
import { booleanParam, integerParam } from './media-params';
import { setServedMediaHeaders } from './served-media-headers';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, MediaDownloads, type UploadedMedia } from './media-downloads';

interface DownloadQuery {
  allow_remote?: string;
  timeout_ms?: string;
}

/**
 * Downloads: the authenticated endpoints (v1.11) and the deprecated
 * unauthenticated ones, which serve only media from before the freeze.
 * Every answer carries the headers the spec asks for (Content-Disposition,
 * Content-Security-Policy, Cross-Origin-Resource-Policy) and honours Range.
 */
@Controller()
export class DownloadController {
  constructor(private readonly downloads: MediaDownloads) {}

  // Guests may download (client-server-api "Guest Access", since v1.12), not upload.
  @Get([
    '_matrix/client/v1/media/download/:serverName/:mediaId',
    '_matrix/client/v1/media/download/:serverName/:mediaId/:fileName',
  ])
  @GuestAllowed()
  download(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
    @Param('fileName') fileName: string | undefined,
    @Query() query: DownloadQuery,
    @Req() request: MatrixRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.serve({ tenant, serverName, mediaId, fileName, query, request, reply, unauthenticated: false });
  }

  @Get(['_matrix/media/v3/download/:serverName/:mediaId', '_matrix/media/v3/download/:serverName/:mediaId/:fileName'])
  @Public()
  legacyDownload(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
    @Param('fileName') fileName: string | undefined,
    @Query() query: DownloadQuery,
    @Req() request: MatrixRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.serve({ tenant, serverName, mediaId, fileName, query, request, reply, unauthenticated: true });
  }

  private async serve(req: {
    tenant: TenantConfig;
    serverName: string;
    mediaId: string;
    fileName?: string;
    query: DownloadQuery;
    request: MatrixRequest;
    reply: FastifyReply;
    unauthenticated: boolean;
  }): Promise<void> {
    if (!isValidServerName(req.serverName)) throw Errors.invalidParam('serverName is not a valid server name');
    if (!isValidMediaId(req.mediaId)) throw Errors.invalidParam('mediaId may only hold A-Z, a-z, 0-9, _ and -');
    const media = await this.downloads.locate(req.serverName, req.mediaId, {
      tenant: req.tenant,
      unauthenticated: req.unauthenticated,
      allowRemote: booleanParam(req.query.allow_remote, 'allow_remote', true),
      timeoutMs: integerParam(req.query.timeout_ms, 'timeout_ms', DEFAULT_DOWNLOAD_TIMEOUT_MS),
    });
    const reply = req.reply;
    const contentType = media.contentType ?? 'application/octet-stream';
    const etag = `"${media.sha256}"`;
    setServedMediaHeaders(reply, {
      contentType,
      fileName: req.fileName ?? media.uploadName,
      unauthenticated: req.unauthenticated,
      etag,
    });
    reply.header('accept-ranges', 'bytes');
    if (req.request.headers['if-none-match'] === etag) {
      await reply.status(304).send();
      return;
    }
    await this.sendBytes(media, req.request.headers.range, reply);
  }

  private async sendBytes(media: UploadedMedia, rangeHeader: string | undefined, reply: FastifyReply): Promise<void> {
    const range = answerRange(rangeHeader, media.size);
    if (range.kind === 'unsatisfiable') {
      await reply
        .status(416)
        .header('content-range', `bytes */${media.size}`)
        .header('content-type', 'application/json')
        .send(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'Range not satisfiable' }));
      return;
    }
    if (range.kind === 'partial') {
      const body = await this.downloads.open(media, range);
      await reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${media.size}`)
        .header('content-length', range.end - range.start + 1)
        .send(body);
      return;
    }
    const body = await this.downloads.open(media);
    await reply.status(200).header('content-length', media.size).send(body);
  }
}
