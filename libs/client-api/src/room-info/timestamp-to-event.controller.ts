import { Controller, Get, Logger, Param, Query } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient } from '@lattice/federation';
import { Auth, Errors, Requester, Tenant } from '@lattice/http';
import { requireRoomView } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';

interface Found {
  event_id: string;
  origin_server_ts: number;
}

/**
 * GET /rooms/{roomId}/timestamp_to_event (client-server-api "Jumping to a
 * point in a room's history"): the room's event closest to `ts` in the
 * direction asked that the user may see. When this server has none, the
 * other servers in the room are asked in turn (server-server-api
 * /timestamp_to_event), as the spec suggests for history it lacks.
 */
@Controller('_matrix/client/v1/rooms/:roomId')
export class TimestampToEventController {
  private readonly logger = new Logger(TimestampToEventController.name);

  constructor(
    private readonly storage: StorageAccess,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
  ) {}

  @Get('timestamp_to_event')
  async find(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Query('ts') tsParam?: string,
    @Query('dir') dir?: string,
  ): Promise<Found> {
    if (tsParam === undefined || !/^\d{1,16}$/.test(tsParam))
      throw Errors.invalidParam('ts must be a timestamp in milliseconds');
    if (dir !== 'f' && dir !== 'b') throw Errors.invalidParam('dir must be f or b');
    await requireRoomView(this.storage.reader, this.storage.visibility, roomId, r.userId);
    const ts = Number(tsParam);
    const near = await this.storage.reader.eventNearTimestamp(roomId, ts, dir);
    const event = near && (await this.storage.reader.event(near.eventId));
    if (event && (await this.storage.visibility.visibleToUser(r.userId, [event])).length > 0)
      return { event_id: near.eventId, origin_server_ts: near.originServerTs };
    if (!near) {
      const remote = await this.askOtherServers(t.serverName, roomId, ts, dir);
      if (remote) return remote;
    }
    throw Errors.notFound(`No event found ${dir === 'f' ? 'after' : 'before'} ${ts}`);
  }

  private async askOtherServers(
    origin: string,
    roomId: string,
    ts: number,
    dir: 'f' | 'b',
  ): Promise<Found | undefined> {
    for (const server of (await this.storage.reader.joinedServers(roomId)).filter((s) => !this.tenants.isLocal(s))) {
      try {
        const answer = await this.federation.request<Partial<Found>>(
          origin,
          server,
          'GET',
          `/_matrix/federation/v1/timestamp_to_event/${encodeURIComponent(roomId)}?ts=${ts}&dir=${dir}`,
        );
        if (typeof answer.event_id === 'string' && typeof answer.origin_server_ts === 'number')
          return { event_id: answer.event_id, origin_server_ts: answer.origin_server_ts };
      } catch (e) {
        this.logger.debug(`${server} could not say which event of ${roomId} is near ${ts}: ${(e as Error).message}`);
      }
    }
    return undefined;
  }
}
