import { Controller, Get, Query } from '@nestjs/common';
import { OpenIdTokens } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import { serverNameOf } from '@lattice/protocol';

/**
 * server-server-api "OpenID": a third party (not necessarily a homeserver,
 * so the request is not signed) checks a token a user gave it.
 */
@Controller('_matrix/federation/v1/openid')
export class OpenIdUserInfoController {
  constructor(private readonly tokens: OpenIdTokens) {}

  @Get('userinfo')
  @Public()
  async userinfo(@Tenant() t: TenantConfig, @Query('access_token') token?: string) {
    if (!token) throw Errors.missingToken();
    const userId = await this.tokens.userOf(token);
    if (!userId || serverNameOf(userId) !== t.serverName)
      throw Errors.unknownToken('The OpenID token is not known or has expired');
    return { sub: userId };
  }
}
