import { Readable } from 'node:stream';
import { Controller, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, RateLimited, StreamedBody, Tenant, type MatrixRequest, type Requester } from '@lattice/http';
import { MediaUploads, type UploadRequest } from './media-uploads';

/** A file name longer than this is surely not one (file systems stop at 255 bytes). */
const MAX_FILENAME_LENGTH = 1024;

/** Upload endpoints (client-server-api "Content repository"); they stay under /_matrix/media, unlike downloads, as of v1.11. */
@Controller()
export class UploadController {
  constructor(private readonly uploads: MediaUploads) {}

  @Post('_matrix/media/v3/upload')
  @HttpCode(200)
  @StreamedBody()
  @RateLimited()
  async upload(
    @Tenant() tenant: TenantConfig,
    @Auth() requester: Requester,
    @Req() request: MatrixRequest,
    @Query('filename') filename?: string,
  ) {
    return { content_uri: await this.uploads.upload(uploadRequest(tenant, requester, request, filename)) };
  }

  @Post('_matrix/media/v1/create')
  @HttpCode(200)
  @RateLimited()
  create(@Tenant() tenant: TenantConfig, @Auth() requester: Requester) {
    return this.uploads.create(tenant, requester.userId);
  }

  @Put('_matrix/media/v3/upload/:serverName/:mediaId')
  @StreamedBody()
  @RateLimited()
  async uploadTo(
    @Tenant() tenant: TenantConfig,
    @Auth() requester: Requester,
    @Req() request: MatrixRequest,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
    @Query('filename') filename?: string,
  ) {
    await this.uploads.uploadTo({ ...uploadRequest(tenant, requester, request, filename), serverName, mediaId });
    return {};
  }
}

function uploadRequest(
  tenant: TenantConfig,
  requester: Requester,
  request: MatrixRequest,
  filename: string | undefined,
): UploadRequest {
  if (filename !== undefined && filename.length > MAX_FILENAME_LENGTH)
    throw Errors.invalidParam(`filename is longer than ${MAX_FILENAME_LENGTH} characters`);
  const declared = request.headers['content-length'];
  return {
    tenant,
    userId: requester.userId,
    // Fastify parses no body it was not sent: an empty upload arrives as no body at all.
    body: request.body instanceof Readable ? request.body : Readable.from([]),
    declaredLength: declared === undefined ? undefined : Number(declared),
    // The spec's default when the client sends none (v1.12).
    contentType: request.headers['content-type'] ?? 'application/octet-stream',
    uploadName: filename === undefined || filename === '' ? null : filename,
  };
}
