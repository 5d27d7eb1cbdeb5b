import { Controller, Get, Param, Query } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { Auth, Errors, integerParam, Requester, Tenant } from '@lattice/http';
import { serverNameOf } from '@lattice/protocol';
import { formatHierarchyToken, LocalSpaceRooms, parseHierarchyToken, walkHierarchy } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';
import { RemoteHierarchyCache } from './remote-hierarchy-cache';
import { userHierarchyLookup } from './user-hierarchy-lookup';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
const DEFAULT_MAX_DEPTH = 5;
const MAX_DEPTH = 10;

/**
 * GET /rooms/{roomId}/hierarchy (client-server-api "Spaces"): a page of
 * the space tree under a room the user may see, depth first, with only
 * the rooms the user may see. The spec leaves the defaults and maxima of
 * `limit` and `max_depth` to servers; larger values are lowered to ours.
 */
@Controller('_matrix/client/v1')
export class HierarchyController {
  private readonly local: LocalSpaceRooms;

  constructor(
    private readonly storage: StorageAccess,
    private readonly remote: RemoteHierarchyCache,
    private readonly tenants: TenantDirectory,
  ) {
    this.local = new LocalSpaceRooms(storage.reader);
  }

  @Get('rooms/:roomId/hierarchy')
  async hierarchy(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Query('suggested_only') suggested?: string,
    @Query('limit') limitParam?: string,
    @Query('max_depth') depthParam?: string,
    @Query('from') from?: string,
  ) {
    if (suggested !== undefined && suggested !== 'true' && suggested !== 'false')
      throw Errors.invalidParam('suggested_only must be true or false');
    const suggestedOnly = suggested === 'true';
    const limit = Math.min(integerParam('limit', limitParam, 1) ?? DEFAULT_LIMIT, MAX_LIMIT);
    const maxDepth = Math.min(integerParam('max_depth', depthParam, 0) ?? DEFAULT_MAX_DEPTH, MAX_DEPTH);
    const token = from === undefined ? undefined : parseHierarchyToken(from);
    if (from !== undefined && (!token || token.roomId !== roomId))
      throw Errors.invalidParam('Unknown pagination token (from)');
    if (token && (token.maxDepth !== maxDepth || token.suggestedOnly !== suggestedOnly))
      throw Errors.invalidParam('suggested_only and max_depth cannot change on paginated requests');

    const rooms = await this.storage.reader.roomsOfUser(r.userId, ['join', 'invite']);
    const roomIds = (membership: string) =>
      new Set(rooms.filter((room) => room.membership === membership).map((room) => room.roomId));
    const lookup = userHierarchyLookup({
      local: this.local,
      remote: (servers, id) => this.remote.fetch(t.serverName, servers, id, suggestedOnly),
      isLocal: (s) => this.tenants.isLocal(s),
      userId: r.userId,
      joinedRoomIds: roomIds('join'),
      invitedRoomIds: roomIds('invite'),
    });
    // A root this server does not have is asked about at the server its ID names, if it names one.
    const rootVia = [serverNameOf(roomId)].filter((s): s is string => s !== undefined);
    const page = await walkHierarchy(roomId, (id, via) => lookup(id, id === roomId ? rootVia : via), {
      maxDepth,
      suggestedOnly,
      skip: token?.skip ?? 0,
      limit,
    });
    if (!page) throw Errors.forbidden(`You may not see the room ${roomId}, or it does not exist`);
    return {
      rooms: page.rooms,
      ...(page.next === undefined
        ? {}
        : { next_batch: formatHierarchyToken({ roomId, skip: page.next, maxDepth, suggestedOnly }) }),
    };
  }
}
