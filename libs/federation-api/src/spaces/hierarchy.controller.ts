import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { Errors, Public } from '@lattice/http';
import { serverNameOf } from '@lattice/protocol';
import {
  FEDERATION_ROOM_READS,
  LocalSpaceRooms,
  serverMaySee,
  spaceChildren,
  type HierarchyRoom,
  type FederationRoomReads,
  type LocalSpaceRoom,
} from '@lattice/rooms';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';

/**
 * GET /hierarchy/{roomId} for other servers (server-server-api "Spaces"):
 * the room and its children this server has, unpaginated. Children the
 * asking server could not peek or join are listed as inaccessible_children;
 * children this server does not have are left out (space_hierarchy.yaml).
 */
@Controller('_matrix/federation/v1')
@UseGuards(FederationAuthGuard)
export class FederationHierarchyController {
  private readonly local: LocalSpaceRooms;

  constructor(@Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads) {
    this.local = new LocalSpaceRooms(reader);
  }

  @Get('hierarchy/:roomId')
  @Public()
  async hierarchy(
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Query('suggested_only') suggested?: string,
  ) {
    if (suggested !== undefined && suggested !== 'true' && suggested !== 'false')
      throw Errors.invalidParam('suggested_only must be true or false');
    const root = await this.local.load(roomId);
    if (!root) throw Errors.notFound(`Room ${roomId} is not known to this server`);
    if (!(await this.visibleTo(origin, root))) throw Errors.forbidden(`${origin} may not see the room ${roomId}`);
    const children: HierarchyRoom[] = [];
    const inaccessible: string[] = [];
    for (const child of spaceChildren(root.room.children_state, suggested === 'true')) {
      const loaded = await this.local.load(child.roomId);
      if (!loaded) continue;
      if (await this.visibleTo(origin, loaded)) children.push(loaded.room);
      else inaccessible.push(child.roomId);
    }
    return { room: root.room, children, inaccessible_children: inaccessible };
  }

  private async visibleTo(origin: string, room: LocalSpaceRoom): Promise<boolean> {
    const hasMember = [...room.memberships].some(
      ([userId, membership]) => (membership === 'join' || membership === 'invite') && serverNameOf(userId) === origin,
    );
    return serverMaySee(room.room, hasMember, await this.inAllowedRoom(origin, room.room.allowed_room_ids ?? []));
  }

  /** Whether `origin` has a joined member, as far as this server knows, in one of a restricted room's allowed rooms. */
  private async inAllowedRoom(origin: string, allowedRoomIds: string[]): Promise<boolean> {
    for (const roomId of allowedRoomIds) if ((await this.reader.joinedServers(roomId)).includes(origin)) return true;
    return false;
  }
}
