import { Controller, Get, Param } from '@nestjs/common';
import { AccountStore, whoisAnswer } from '@lattice/accounts';
import { Auth, Errors, Requester } from '@lattice/http';
import { StorageAccess } from '../storage-access';

/**
 * GET /admin/whois/{userId} (client-server-api "Server Administration"):
 * a user's devices with where and when each was last seen, for server
 * administrators and for the user themself (the spec allows restricting it
 * so). One session per device, holding its last connection; this server
 * keeps no user agents.
 */
@Controller('_matrix/client/v3/admin')
export class WhoisController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly storage: StorageAccess,
  ) {}

  @Get('whois/:userId')
  async whois(@Auth() r: Requester, @Param('userId') userId: string) {
    if (userId !== r.userId && !(await this.isAdmin(r.userId)))
      throw Errors.forbidden('Only server administrators may look up other users');
    if (!(await this.accounts.getProfile(userId))) throw Errors.notFound('User not found');
    return whoisAnswer(userId, await this.accounts.listDevices(userId));
  }

  private async isAdmin(userId: string): Promise<boolean> {
    return (await this.storage.db.user.findUnique({ where: { userId }, select: { isAdmin: true } }))?.isAdmin === true;
  }
}
