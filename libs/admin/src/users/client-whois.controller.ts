import { Controller, Get, Inject, Param } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, Requester, Tenant } from '@lattice/http';
import { DATABASE, type Database } from '@lattice/storage';
import { localUser } from '../admin.guard';
import { whoisAnswer } from './whois';

/**
 * client-server-api "Server Administration": GET /admin/whois/{userId},
 * which "may be restricted to only be called by the user being looked up, or
 * by a server admin": so it is here.
 */
@Controller('_matrix/client/v3/admin')
export class ClientWhoisController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly accounts: AccountStore,
  ) {}

  @Get('whois/:userId')
  async whois(@Auth() requester: Requester, @Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    if (requester.userId !== userId) {
      const me = await this.db.prisma.user.findUnique({
        where: { userId: requester.userId },
        select: { isAdmin: true },
      });
      if (!me?.isAdmin) throw Errors.forbidden('Only server admins may look up other users');
    }
    localUser(tenant.serverName, userId);
    if (!(await this.db.prisma.user.findUnique({ where: { userId }, select: { userId: true } })))
      throw Errors.notFound('User not found');
    return whoisAnswer(userId, await this.accounts.listDevices(userId));
  }
}
