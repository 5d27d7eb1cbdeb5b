import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { OPENID_TOKEN_TTL_SECONDS, OpenIdTokens } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, RateLimited, Requester, Tenant } from '@lattice/http';

/** client-server-api "OpenID": a token that proves to a third party who the user is. */
@Controller('_matrix/client/v3/user/:userId/openid')
export class OpenIdController {
  constructor(private readonly tokens: OpenIdTokens) {}

  @Post('request_token')
  @HttpCode(200)
  @RateLimited()
  async requestToken(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string) {
    if (userId !== r.userId) throw Errors.forbidden('You can only request an OpenID token for yourself');
    return {
      access_token: await this.tokens.issue(userId),
      token_type: 'Bearer',
      matrix_server_name: t.serverName,
      expires_in: OPENID_TOKEN_TTL_SECONDS,
    };
  }
}
