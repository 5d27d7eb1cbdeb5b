import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { AccountStore } from '@lattice/accounts';
import { Errors, MatrixError, Public, RateLimited, Tenant, validateBody } from '@lattice/http';
import { completeSingleStageAuth, UiaFlow } from '../auth/user-interactive-auth';
import { registerBody } from './account-schemas';

/**
 * Account registration (client-server-api POST /register). Each tenant's
 * setting decides the UIA flow: open (m.login.dummy), token
 * (m.login.registration_token) or closed (M_FORBIDDEN).
 */
@Controller('_matrix/client/v3')
export class RegisterController {
  constructor(private readonly accounts: AccountStore) {}

  @Post('register')
  @HttpCode(200)
  @Public()
  @RateLimited()
  async register(@Tenant() tenant: TenantConfig, @Body() raw: unknown, @Query('kind') kind?: string) {
    if (kind === 'guest') throw Errors.guestAccessForbidden();
    if (kind !== undefined && kind !== 'user') throw Errors.invalidParam('kind must be "user" or "guest"');
    if (tenant.registration.mode === 'closed') throw Errors.forbidden('Registration is disabled on this server');
    const body = validateBody(registerBody, raw);

    // Check the username before UIA so clients learn about a taken name first, as Synapse does.
    if (body.username !== undefined && !(await this.accounts.isLocalpartAvailable(tenant.serverName, body.username.toLowerCase()))) {
      throw Errors.userInUse();
    }
    await completeSingleStageAuth(body.auth, flowsFor(tenant), async (stage, auth) =>
      stage === 'm.login.registration_token' && !tenant.registration.tokens.includes(String(auth.token ?? ''))
        ? 'Invalid registration token'
        : undefined,
    );

    const localpart = body.username?.toLowerCase() ?? (await this.accounts.generateLocalpart(tenant.serverName));
    const userId = await this.accounts.createUser(tenant.serverName, localpart, body.password);
    if (body.inhibit_login) return { user_id: userId };
    const session = await this.accounts.startSession(userId, {
      deviceId: body.device_id,
      displayName: body.initial_device_display_name,
    });
    return { user_id: userId, access_token: session.accessToken, device_id: session.deviceId };
  }

  @Get('register/available')
  @Public()
  @RateLimited()
  async available(@Tenant() tenant: TenantConfig, @Query('username') username?: string) {
    if (!username) throw Errors.missingParam('Missing query parameter: username');
    if (!(await this.accounts.isLocalpartAvailable(tenant.serverName, username.toLowerCase()))) throw Errors.userInUse();
    return { available: true };
  }

  /** Token validity check for clients that ask before registering (client-server-api m.login.registration_token). */
  @Get('register/m.login.registration_token/validity')
  @Public()
  @RateLimited()
  tokenValidity(@Tenant() tenant: TenantConfig, @Query('token') token?: string) {
    if (tenant.registration.mode !== 'token') throw new MatrixError(403, 'M_FORBIDDEN', 'Registration tokens are not used here');
    if (!token) throw Errors.missingParam('Missing query parameter: token');
    return { valid: tenant.registration.tokens.includes(token) };
  }
}

function flowsFor(tenant: TenantConfig): UiaFlow[] {
  return tenant.registration.mode === 'token' ? [{ stages: ['m.login.registration_token'] }] : [{ stages: ['m.login.dummy'] }];
}
