import { Body, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { integerParam, Public, Tenant } from '@lattice/http';
import { listPublicRooms, FEDERATION_ROOM_READS, type FederationRoomReads } from '@lattice/rooms';
import { FederationAuthGuard } from '../auth/federation-auth.guard';

/** This tenant's room directory for other servers (server-server-api "Published Room Directory"). */
@Controller('_matrix/federation/v1/publicRooms')
@UseGuards(FederationAuthGuard)
export class PublicRoomsController {
  constructor(@Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads) {}

  @Get()
  @Public()
  list(@Tenant() t: TenantConfig, @Query('limit') limit?: string, @Query('since') since?: string) {
    return listPublicRooms(this.reader, t.serverName, { limit: integerParam('limit', limit, 0), since });
  }

  @Post()
  @Public()
  @HttpCode(200)
  search(@Tenant() t: TenantConfig, @Body() body: unknown) {
    const request = (body ?? {}) as { limit?: unknown; since?: unknown; filter?: { generic_search_term?: unknown } };
    return listPublicRooms(this.reader, t.serverName, {
      limit: typeof request.limit === 'number' ? request.limit : undefined,
      since: typeof request.since === 'string' ? request.since : undefined,
      term: typeof request.filter?.generic_search_term === 'string' ? request.filter.generic_search_term : undefined,
    });
  }
}
