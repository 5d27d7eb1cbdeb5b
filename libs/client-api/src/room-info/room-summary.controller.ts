import { Controller, Get, Param } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Errors, MaybeAuth, OptionalAuth, RateLimited, Tenant, type Requester } from '@lattice/http';
import { roomSummary, userMaySee, type RoomSummary } from '@lattice/rooms';
import { AliasResolver } from '../directory/alias-resolver';
import { RemoteHierarchyCache } from '../rooms/remote-hierarchy-cache';
import { ViaServers } from '../rooms/via-servers.decorator';
import { StorageAccess } from '../storage-access';

/**
 * GET /room_summary/{roomIdOrAlias} (client-server-api "Room Summaries",
 * v1.15): the summary of a room the requester may learn about (a member or
 * invitee, or a room open to anyone, or a restricted room whose allowed
 * rooms they are in), read from the room's state here, else asked of the
 * `via` servers through federation's /hierarchy. Without a token only rooms
 * open to anyone are summarised, as the spec allows. Any other room is 404,
 * so the answer does not tell whether it exists.
 */
@Controller('_matrix/client/v1')
export class RoomSummaryController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly aliases: AliasResolver,
    private readonly remote: RemoteHierarchyCache,
  ) {}

  @Get('room_summary/:roomIdOrAlias')
  @OptionalAuth()
  @RateLimited()
  async summary(
    @MaybeAuth() r: Requester | undefined,
    @Tenant() t: TenantConfig,
    @Param('roomIdOrAlias') target: string,
    @ViaServers() via: string[],
  ) {
    const { roomId, servers } = await this.aliases.resolveRoomIdOrAlias(t.serverName, target, via);
    const rooms = r ? await this.storage.reader.roomsOfUser(r.userId, ['join', 'invite', 'knock', 'leave', 'ban']) : [];
    const membership = rooms.find((room) => room.roomId === roomId)?.membership;
    const joined = new Set(rooms.filter((room) => room.membership === 'join').map((room) => room.roomId));
    const summary = (await this.localSummary(roomId)) ?? (await this.remoteSummary(t.serverName, servers, roomId));
    if (!summary || !userMaySee(summary, membership, joined)) throw Errors.notFound('Room not found.');
    return { ...summary, ...(membership ? { membership } : {}) };
  }

  private async localSummary(roomId: string): Promise<RoomSummary | undefined> {
    const version = await this.storage.reader.roomVersion(roomId);
    if (!version) return undefined;
    return roomSummary(
      roomId,
      version.id,
      (await this.storage.reader.currentState(roomId)).map((e) => e.pdu),
    );
  }

  private async remoteSummary(origin: string, servers: string[], roomId: string): Promise<RoomSummary | undefined> {
    if (servers.length === 0) return undefined;
    const answer = await this.remote.fetch(origin, servers, roomId, false);
    if (!answer) return undefined;
    const { children_state: _children, ...summary } = answer.room;
    return summary;
  }
}
