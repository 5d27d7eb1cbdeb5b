import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { NamespaceQueries } from '@lattice/appservice-registry';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import { serverNameOf } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, type FederationRoomReads } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { FederationAuthGuard } from '../auth/federation-auth.guard';

/** server-server-api "Querying for information": what other servers may ask about this tenant's users. */
@Controller('_matrix/federation/v1/query')
@UseGuards(FederationAuthGuard)
export class QueryController {
  constructor(
    private readonly accounts: AccountStore,
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly namespaces: NamespaceQueries,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
  ) {}

  /** A room alias of this tenant: the room and the servers in it, to join through. */
  @Get('directory')
  @Public()
  async directory(@Tenant() tenant: TenantConfig, @Query('room_alias') alias?: string) {
    if (!alias) throw Errors.missingParam('room_alias is required');
    if (serverNameOf(alias) !== tenant.serverName)
      throw Errors.invalidParam(`${alias} is not an alias of ${tenant.serverName}`);
    // An application service whose namespace holds the alias may create its room now (application-service-api "Querying").
    const row = await this.namespaces.readAlias(alias, () => this.db.roomAlias.findUnique({ where: { alias } }));
    if (!row) throw Errors.notFound(`Room alias ${alias} not found`);
    const servers = await this.reader.joinedServers(row.roomId);
    return { room_id: row.roomId, servers: [tenant.serverName, ...servers.filter((s) => s !== tenant.serverName)] };
  }

  /** `@Public()`: no access token; FederationAuthGuard authenticates the origin server instead. */
  @Get('profile')
  @Public()
  async profile(@Tenant() tenant: TenantConfig, @Query('user_id') userId?: string, @Query('field') field?: string) {
    if (!userId) throw Errors.missingParam('user_id is required');
    if (serverNameOf(userId) !== tenant.serverName)
      throw Errors.invalidParam(`${userId} is not a user of ${tenant.serverName}`);
    // Extended fields (m.tz and custom keys, v1.16) are public, as they are to clients of this server.
    const profile = await this.namespaces.readUser(userId, () => this.accounts.fullProfile(userId));
    if (!profile) throw Errors.notFound('User does not exist');
    if (field === undefined) return profile;
    if (profile[field] === undefined) throw Errors.notFound(`${field} is not set`);
    return { [field]: profile[field] };
  }
}
