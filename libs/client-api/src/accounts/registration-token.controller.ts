import { Controller, Get, Query } from '@nestjs/common';
import { RegistrationTokens } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, MatrixError, Public, RateLimited, Tenant } from '@lattice/http';

/**
 * GET /register/m.login.registration_token/validity (client-server-api
 * "Token-authenticated registration"): at /v1 where the spec puts it, and at
 * /v3 where clients of the unstable proposal asked.
 */
@Controller('_matrix/client')
export class RegistrationTokenController {
  constructor(private readonly tokens: RegistrationTokens) {}

  @Get(['v1/register/m.login.registration_token/validity', 'v3/register/m.login.registration_token/validity'])
  @Public()
  @RateLimited()
  async validity(@Tenant() tenant: TenantConfig, @Query('token') token?: string) {
    if (tenant.registration.mode !== 'token')
      throw new MatrixError(403, 'M_FORBIDDEN', 'Registration tokens are not used here');
    if (!token) throw Errors.missingParam('Missing query parameter: token');
    // The database's tokens (admin API), with their uses and expiry; configured tokens are copied there at start.
    return { valid: await this.tokens.isValid(tenant.serverName, token) };
  }
}
