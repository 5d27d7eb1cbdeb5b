import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import { FederationAuthGuard } from '../auth/federation-auth.guard';

/** server-server-api "Querying for information": what other servers may ask about this tenant's users. */
@Controller('_matrix/federation/v1/query')
@UseGuards(FederationAuthGuard)
export class QueryController {
  constructor(private readonly accounts: AccountStore) {}

  /** `@Public()`: no access token; FederationAuthGuard authenticates the origin server instead. */
  @Get('profile')
  @Public()
  async profile(@Tenant() tenant: TenantConfig, @Query('user_id') userId?: string, @Query('field') field?: string) {
    if (!userId) throw Errors.missingParam('user_id is required');
    if (userId.slice(userId.indexOf(':') + 1) !== tenant.serverName) throw Errors.invalidParam(`${userId} is not a user of ${tenant.serverName}`);
    if (field !== undefined && field !== 'displayname' && field !== 'avatar_url') throw Errors.notFound(`Unknown profile field ${field}`);
    const profile = await this.accounts.getProfile(userId);
    if (!profile) throw Errors.notFound('User does not exist');
    if (field === undefined) return profile;
    if (profile[field] === undefined) throw Errors.notFound(`${field} is not set`);
    return { [field]: profile[field] };
  }
}
