import { Controller, Get, Inject } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { Auth, RateLimited, Requester } from '@lattice/http';
import { turnCredentials } from './turn-credentials';

/**
 * GET /voip/turnServer (client-server-api "Voice over IP"). Without a TURN
 * server configured the answer is {}, as Synapse gives: the schema has no
 * way to say "none", and clients (matrix-js-sdk among them) read a missing
 * `uris` as no TURN server, where an error would have them retry.
 */
@Controller('_matrix/client/v3/voip')
export class VoipController {
  constructor(@Inject(LATTICE_CONFIG) private readonly config: LatticeConfig) {}

  @Get('turnServer')
  @RateLimited()
  turnServer(@Auth() r: Requester) {
    return turnCredentials(this.config.voip, r.userId, Date.now()) ?? {};
  }
}
