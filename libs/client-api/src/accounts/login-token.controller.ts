import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { AccountStore, LoginTokens } from '@lattice/accounts';
import { Auth, RateLimited, Requester, validateBody } from '@lattice/http';
import { getLoginTokenBody } from './account-schemas';
import { requirePassword } from './password-stage';

/**
 * client-server-api POST /login/get_token: a signed-in user lets a new device sign in once with an
 * m.login.token. The spec requires asking for the password every time, never a recently passed session.
 */
@Controller('_matrix/client/v1/login')
export class LoginTokenController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly loginTokens: LoginTokens,
  ) {}

  @Post('get_token')
  @HttpCode(200)
  @RateLimited()
  async getToken(@Auth() requester: Requester, @Body() raw: unknown) {
    const body = validateBody(getLoginTokenBody, raw);
    await requirePassword(this.accounts, requester.userId, body.auth);
    const issued = await this.loginTokens.issue(requester.userId);
    return { login_token: issued.token, expires_in_ms: issued.expiresInMs };
  }
}
