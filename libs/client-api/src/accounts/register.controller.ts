import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { AccountStore, RegistrationTokens } from '@lattice/accounts';
import { Errors, Public, RateLimited, Tenant, validateBody, type MatrixRequest } from '@lattice/http';
import { AppserviceAccess } from '../appservice/appservice-access';
import { completeSingleStageAuth, UiaFlow } from '../auth/user-interactive-auth';
import { registerBody } from './account-schemas';
import { refreshFields } from './login.controller';
import type { z } from 'zod';

/**
 * Account registration (client-server-api POST /register). Each tenant's
 * setting decides the UIA flow: open (m.login.dummy), token
 * (m.login.registration_token) or closed (M_FORBIDDEN).
 */
@Controller('_matrix/client/v3')
export class RegisterController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly registrationTokens: RegistrationTokens,
    private readonly appservices: AppserviceAccess,
  ) {}

  @Post('register')
  @HttpCode(200)
  @Public()
  @RateLimited()
  async register(
    @Tenant() tenant: TenantConfig,
    @Body() raw: unknown,
    @Req() request: MatrixRequest,
    @Query('kind') kind?: string,
  ) {
    if (kind !== undefined && kind !== 'user' && kind !== 'guest')
      throw Errors.invalidParam('kind must be "user" or "guest"');
    if (kind === 'guest') return this.registerGuest(tenant, raw);
    const body = validateBody(registerBody, raw);
    if (body.type === 'm.login.application_service') return this.registerForService(tenant, body, request);
    if (tenant.registration.mode === 'closed') throw Errors.forbidden('Registration is disabled on this server');
    const guest =
      body.guest_access_token === undefined
        ? undefined
        : await this.upgradingGuest(tenant, body.guest_access_token, body.username);

    // Check the username before UIA so clients learn about a taken name first, as Synapse does.
    if (!guest && body.username !== undefined) {
      if (!(await this.accounts.isLocalpartAvailable(tenant.serverName, body.username.toLowerCase())))
        throw Errors.userInUse();
      this.appservices.requireNotExclusiveUser(`@${body.username.toLowerCase()}:${tenant.serverName}`);
    }
    // The token's use is taken when the stage completes (atomically, so a token's last use goes to one registration) and given back if the account then cannot be made.
    let usedToken: string | undefined;
    await completeSingleStageAuth(body.auth, flowsFor(tenant), async (stage, auth) => {
      if (stage !== 'm.login.registration_token') return undefined;
      const token = String(auth.token ?? '');
      if (!(await this.registrationTokens.consume(tenant.serverName, token))) return 'Invalid registration token';
      usedToken = token;
      return undefined;
    });

    let userId: string;
    try {
      userId = await this.createAccount(tenant, guest, body.username, body.password);
    } catch (e) {
      if (usedToken !== undefined) await this.registrationTokens.release(tenant.serverName, usedToken);
      throw e;
    }
    return this.answer(userId, body);
  }

  /**
   * application-service-api "Server admin style permissions": a service creates a user of its own
   * namespaces with its as_token, no password and no user-interactive auth, whatever the tenant's
   * registration mode; outside its namespaces M_EXCLUSIVE.
   */
  private async registerForService(tenant: TenantConfig, body: z.infer<typeof registerBody>, request: MatrixRequest) {
    const service = this.appservices.serviceOf(tenant, request);
    if (body.username === undefined) throw Errors.missingParam('m.login.application_service needs username');
    const localpart = body.username.toLowerCase();
    this.appservices.requireUserOf(service, `@${localpart}:${tenant.serverName}`);
    const userId = await this.accounts.createUser(tenant.serverName, localpart, undefined);
    return this.answer(userId, body);
  }

  private async answer(userId: string, body: z.infer<typeof registerBody>) {
    if (body.inhibit_login) return { user_id: userId };
    const session = await this.accounts.startSession(userId, {
      deviceId: body.device_id,
      displayName: body.initial_device_display_name,
      refreshable: body.refresh_token,
    });
    return {
      user_id: userId,
      access_token: session.accessToken,
      ...refreshFields(session),
      device_id: session.deviceId,
    };
  }

  private async createAccount(
    tenant: TenantConfig,
    guest: string | undefined,
    username: string | undefined,
    password: string | undefined,
  ): Promise<string> {
    if (guest) {
      await this.accounts.upgradeGuest(guest, password);
      return guest;
    }
    const localpart = username?.toLowerCase() ?? (await this.accounts.generateLocalpart(tenant.serverName));
    return this.accounts.createUser(tenant.serverName, localpart, password);
  }

  /** kind=guest: no authentication, no username or password; the tenant must allow guests. */
  private async registerGuest(tenant: TenantConfig, raw: unknown) {
    if (!tenant.registration.guests) throw Errors.guestAccessForbidden();
    const body = validateBody(registerBody, raw);
    const userId = await this.accounts.createUser(
      tenant.serverName,
      await this.accounts.generateLocalpart(tenant.serverName),
      undefined,
      { guest: true },
    );
    const session = await this.accounts.startSession(userId, { displayName: body.initial_device_display_name });
    return { user_id: userId, access_token: session.accessToken, device_id: session.deviceId };
  }

  /**
   * The guest a registration upgrades: its token must be a guest's of this
   * tenant, and `username`, if given, its own localpart (the account keeps
   * its user ID, so its rooms and history stay).
   */
  private async upgradingGuest(
    tenant: TenantConfig,
    guestAccessToken: string,
    username: string | undefined,
  ): Promise<string> {
    const owner = await this.accounts.resolveToken(guestAccessToken);
    if (!owner?.isGuest || owner.userId.slice(owner.userId.indexOf(':') + 1) !== tenant.serverName)
      throw Errors.forbidden('guest_access_token is not a guest account of this server');
    if (username !== undefined && `@${username.toLowerCase()}:${tenant.serverName}` !== owner.userId)
      throw Errors.invalidParam("username must be the guest's own localpart");
    return owner.userId;
  }

  @Get('register/available')
  @Public()
  @RateLimited()
  async available(@Tenant() tenant: TenantConfig, @Query('username') username?: string) {
    if (!username) throw Errors.missingParam('Missing query parameter: username');
    if (!(await this.accounts.isLocalpartAvailable(tenant.serverName, username.toLowerCase())))
      throw Errors.userInUse();
    return { available: true };
  }
}

function flowsFor(tenant: TenantConfig): UiaFlow[] {
  return tenant.registration.mode === 'token'
    ? [{ stages: ['m.login.registration_token'] }]
    : [{ stages: ['m.login.dummy'] }];
}
