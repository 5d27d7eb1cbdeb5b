import { Controller, Get, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Errors, RateLimited, Tenant } from '@lattice/http';
import { integerParam } from '../download/media-params';
import { UrlPreviews } from './url-previews';

/** GET /media/preview_url: the authenticated endpoint (v1.11) and the deprecated one, which also needs an access token. */
@Controller()
export class PreviewUrlController {
  constructor(private readonly previews: UrlPreviews) {}

  @Get('_matrix/client/v1/media/preview_url')
  @RateLimited()
  preview(@Tenant() tenant: TenantConfig, @Query('url') url: string | undefined, @Query('ts') ts: string | undefined) {
    if (!url) throw Errors.missingParam('url is required');
    return this.previews.preview(tenant, url, ts === undefined ? undefined : integerParam(ts, 'ts', 0));
  }

  @Get('_matrix/media/v3/preview_url')
  @RateLimited()
  legacyPreview(
    @Tenant() tenant: TenantConfig,
    @Query('url') url: string | undefined,
    @Query('ts') ts: string | undefined,
  ) {
    return this.preview(tenant, url, ts);
  }
}
