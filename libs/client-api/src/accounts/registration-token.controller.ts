import { Controller, Get, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Errors, MatrixError, Public, RateLimited, Tenant } from '@lattice/http';

/**
 * GET /register/m.login.registration_token/validity (client-server-api
 * "Token-authenticated registration"): at /v1 where the spec puts it, and at
 * /v3 where clients of the unstable proposal asked.
 */
@Controller('_matrix/client')
export class RegistrationTokenController {
  @Get(['v1/register/m.login.registration_token/validity', 'v3/register/m.login.registration_token/validity'])
  @Public()
  @RateLimited()
  validity(@Tenant() tenant: TenantConfig, @Query('token') token?: string) {
    if (tenant.registration.mode !== 'token') throw new MatrixError(403, 'M_FORBIDDEN', 'Registration tokens are not used here');
    if (!token) throw Errors.missingParam('Missing query parameter: token');
    return { valid: tenant.registration.tokens.includes(token) };
  }
}
