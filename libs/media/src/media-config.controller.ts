import { Controller, Get, Inject } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { Tenant } from '@lattice/http';
import { uploadLimitsOf } from './upload/upload-limits';

/** Media configuration (client-server-api GET /_matrix/client/v1/media/config): the tenant's real upload limit. */
@Controller()
export class MediaConfigController {
  constructor(@Inject(LATTICE_CONFIG) private readonly config: LatticeConfig) {}

  @Get('_matrix/client/v1/media/config')
  uploadConfig(@Tenant() tenant: TenantConfig) {
    return { 'm.upload.size': uploadLimitsOf(this.config, tenant).maxUploadBytes };
  }

  /** The deprecated unauthenticated path, still used by older clients. */
  @Get('_matrix/media/v3/config')
  legacyConfig(@Tenant() tenant: TenantConfig) {
    return this.uploadConfig(tenant);
  }
}
