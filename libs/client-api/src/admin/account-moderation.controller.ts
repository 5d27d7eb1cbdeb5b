import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { z } from 'zod';
import { AccountStore, type AccountModeration } from '@lattice/accounts';
import { Auth, Errors, Requester, Tenant, validateBody } from '@lattice/http';
import type { TenantConfig } from '@lattice/config';
import { serverNameOf } from '@lattice/protocol';

const suspendBody = z.object({ suspended: z.boolean() });
const lockBody = z.object({ locked: z.boolean() });

/**
 * GET and PUT /v1/admin/suspend/{userId} and /v1/admin/lock/{userId}
 * (client-server-api "Server Administration", v1.18): a tenant's server
 * admins suspend or lock its other accounts (see "Account suspension" and
 * "Account locking" for what each refuses). The requester is checked
 * before the account is looked up, so nobody else learns which accounts
 * exist; admins cannot be moderated, nor can an admin moderate themself.
 */
@Controller('_matrix/client/v1/admin')
export class AccountModerationController {
  constructor(private readonly accounts: AccountStore) {}

  @Get('suspend/:userId')
  async suspended(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string) {
    return { suspended: (await this.target(r, t, userId)).suspended };
  }

  @Put('suspend/:userId')
  async suspend(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('userId') userId: string,
    @Body() raw: unknown,
  ) {
    const { suspended } = validateBody(suspendBody, raw);
    await this.target(r, t, userId);
    await this.accounts.setModeration(userId, { suspended });
    return { suspended };
  }

  @Get('lock/:userId')
  async locked(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string) {
    return { locked: (await this.target(r, t, userId)).locked };
  }

  @Put('lock/:userId')
  async lock(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    const { locked } = validateBody(lockBody, raw);
    await this.target(r, t, userId);
    await this.accounts.setModeration(userId, { locked });
    return { locked };
  }

  /** The account an admin of this tenant may moderate, in the order of checks the spec's errors give. */
  private async target(r: Requester, t: TenantConfig, userId: string): Promise<AccountModeration> {
    if ((await this.accounts.moderationOf(r.userId))?.isAdmin !== true)
      throw Errors.forbidden('Only server administrators may moderate accounts');
    if (serverNameOf(userId) !== t.serverName) throw Errors.invalidParam('User does not belong to the local server');
    if (userId === r.userId) throw Errors.forbidden('Server administrators cannot moderate their own account');
    const account = await this.accounts.moderationOf(userId);
    if (!account || account.deactivated) throw Errors.notFound('User not found');
    if (account.isAdmin) throw Errors.forbidden('Server administrators cannot be moderated');
    return account;
  }
}
