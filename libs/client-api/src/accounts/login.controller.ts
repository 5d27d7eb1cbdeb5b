import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { AccountStore, LoginTokens, type Session } from '@lattice/accounts';
import {
  Auth,
  Errors,
  GuestAllowed,
  LockedAllowed,
  MatrixError,
  Public,
  RateLimited,
  Requester,
  Tenant,
  validateBody,
  type MatrixRequest,
} from '@lattice/http';
import { AppserviceAccess } from '../appservice/appservice-access';
import { serverNameOf } from '@lattice/protocol';
import type { z } from 'zod';
import { loginBody, refreshBody } from './account-schemas';
import { loginUserId } from './login-identifier';

/** Password and login-token login, token refresh and logout (client-server-api "Login", "Refreshing access tokens", "Logout"). */
@Controller('_matrix/client/v3')
export class LoginController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly loginTokens: LoginTokens,
    private readonly appservices: AppserviceAccess,
  ) {}

  @Get('login')
  @Public()
  flows() {
    return {
      flows: [
        { type: 'm.login.password' },
        { type: 'm.login.token', get_login_token: true },
        { type: 'm.login.application_service' },
      ],
    };
  }

  @Post('login')
  @HttpCode(200)
  @Public()
  @RateLimited()
  async login(@Tenant() tenant: TenantConfig, @Body() raw: unknown, @Req() request: MatrixRequest) {
    const body = validateBody(loginBody, raw);
    const verified =
      body.type === 'm.login.token'
        ? await this.tokenUser(tenant, body.token)
        : body.type === 'm.login.application_service'
          ? await this.serviceUser(tenant, body, request)
          : await this.passwordUser(tenant, body);
    const session = await this.accounts.startSession(verified, {
      deviceId: body.device_id,
      displayName: body.initial_device_display_name,
      refreshable: body.refresh_token,
    });
    return {
      user_id: session.userId,
      access_token: session.accessToken,
      ...refreshFields(session),
      device_id: session.deviceId,
      home_server: tenant.serverName,
      well_known: { 'm.homeserver': { base_url: tenant.publicBaseUrl ?? `https://${tenant.serverName}` } },
    };
  }

  /** m.login.token: the user a single-use token from POST /login/get_token was issued to; 403 M_FORBIDDEN for any token that is not good (spec). */
  private async tokenUser(tenant: TenantConfig, token: string | undefined): Promise<string> {
    if (token === undefined) throw Errors.missingParam('m.login.token needs token');
    const userId = await this.loginTokens.consume(token);
    if (!userId || serverNameOf(userId) !== tenant.serverName) throw Errors.forbidden('Invalid login token');
    if (await this.accounts.isDeactivated(userId)) throw Errors.userDeactivated();
    return userId;
  }

  /** application-service-api: a service logs in a user of its namespaces with its as_token (M_EXCLUSIVE outside them). */
  private async serviceUser(
    tenant: TenantConfig,
    body: z.infer<typeof loginBody>,
    request: MatrixRequest,
  ): Promise<string> {
    const service = this.appservices.serviceOf(tenant, request);
    const user = body.identifier?.user ?? body.user;
    if (!user) throw Errors.missingParam('m.login.application_service needs identifier.user');
    const userId = loginUserId(user, tenant.serverName);
    this.appservices.requireUserOf(service, userId);
    if (await this.accounts.isLocalpartAvailable(tenant.serverName, userId.slice(1, userId.indexOf(':'))))
      throw Errors.forbidden(`${userId} is not registered`);
    if (await this.accounts.isDeactivated(userId)) throw Errors.userDeactivated();
    return userId;
  }

  private async passwordUser(tenant: TenantConfig, body: z.infer<typeof loginBody>): Promise<string> {
    if (body.type !== 'm.login.password')
      throw new MatrixError(400, 'M_UNKNOWN', `Login type ${body.type} is not supported`);
    if (body.identifier && body.identifier.type !== 'm.id.user') {
      throw new MatrixError(400, 'M_UNKNOWN', `Identifier type ${body.identifier.type} is not supported`);
    }
    const user = body.identifier?.user ?? body.user;
    if (!user || body.password === undefined) throw Errors.missingParam('Login needs identifier.user and password');

    const userId = loginUserId(user, tenant.serverName);
    // A user of another tenant (or server) cannot log in here: that tenant is another homeserver. The answer is
    // the one for a wrong password, so it tells nothing about whether that user exists or is deactivated.
    if (serverNameOf(userId) !== tenant.serverName) throw Errors.forbidden('Invalid username or password');
    const verified = await this.accounts.checkPassword(userId, body.password);
    if (!verified) {
      if (await this.accounts.isDeactivated(userId)) throw Errors.userDeactivated();
      throw Errors.forbidden('Invalid username or password');
    }
    return verified;
  }

  /** client-server-api POST /refresh: a refresh token for a new access token and refresh token. */
  @Post('refresh')
  @HttpCode(200)
  @Public()
  @RateLimited()
  async refresh(@Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    const body = validateBody(refreshBody, raw);
    const session = await this.accounts.refresh(body.refresh_token, tenant.serverName);
    return { access_token: session.accessToken, ...refreshFields(session) };
  }

  @GuestAllowed()
  @LockedAllowed()
  @Post('logout')
  @HttpCode(200)
  async logout(@Auth() requester: Requester) {
    await this.accounts.endSession(requester.accessToken);
    return {};
  }

  @LockedAllowed()
  @Post('logout/all')
  @HttpCode(200)
  async logoutAll(@Auth() requester: Requester) {
    await this.accounts.deleteDevices(requester.userId);
    return {};
  }
}

/** The refresh token and access token lifetime of a session that asked for them; nothing for the others. */
export function refreshFields(session: Session): { refresh_token?: string; expires_in_ms?: number } {
  return session.refreshToken === undefined
    ? {}
    : { refresh_token: session.refreshToken, expires_in_ms: session.expiresInMs };
}
