import { Controller, Get, Inject } from '@nestjs/common';
import { LATTICE_CONFIG, LatticeConfig } from '@lattice/config';

/** Authenticated media configuration (client-server-api GET /_matrix/client/v1/media/config). */
@Controller()
export class MediaConfigController {
  constructor(@Inject(LATTICE_CONFIG) private readonly config: LatticeConfig) {}

  @Get('_matrix/client/v1/media/config')
  uploadConfig() {
    return { 'm.upload.size': this.config.media.maxUploadBytes };
  }

  /** The deprecated unauthenticated path, still used by older clients. */
  @Get('_matrix/media/v3/config')
  legacyConfig() {
    return this.uploadConfig();
  }
}
