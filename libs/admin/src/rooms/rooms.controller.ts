import { Body, Controller, Delete, Get, Param, Put, Query, UseGuards } from '@nestjs/common';
import { AdminGuard } from '@lattice/accounts';
import { z } from 'zod';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, queryChoice, queryInt, Requester, Tenant, validateBody } from '@lattice/http';
import { toClientEvent } from '@lattice/rooms';
import { AdminRooms, joinedMembers } from './admin-rooms';
import { matchesSearch, roomDetails, ROOM_ORDERINGS } from './room-details';
import { RoomDeletions } from './room-deletions';

const deleteBody = z.object({
  block: z.boolean().default(false),
  purge: z.boolean().default(true),
  // Moving the users to a new room (new_room_user_id, room_name, message) is not offered: refused rather than ignored.
  new_room_user_id: z.undefined({ error: 'new_room_user_id is not supported by Lattice' }).optional(),
  force_purge: z.boolean().optional(),
});
const blockBody = z.object({ block: z.boolean() });

/** Synapse's room admin API (docs "Rooms", "Delete Room API", "Block Room API"), for the tenant's rooms. */
@Controller('_synapse/admin')
@UseGuards(AdminGuard)
export class AdminRoomsController {
  constructor(
    private readonly rooms: AdminRooms,
    private readonly deletions: RoomDeletions,
  ) {}

  @Get('v1/rooms')
  async list(@Tenant() tenant: TenantConfig, @Query() q: Record<string, string | undefined>) {
    const from = queryInt(q.from, 0, 'from');
    const limit = queryInt(q.limit, 100, 'limit');
    const order = ROOM_ORDERINGS[queryChoice(q.order_by, Object.keys(ROOM_ORDERINGS), 'name', 'order_by')];
    const backwards = queryChoice(q.dir, ['f', 'b'], 'f', 'dir') === 'b';
    const all = (await this.rooms.summaries(tenant.serverName))
      .filter((room) => !q.search_term || matchesSearch(room, q.search_term))
      .sort((a, b) => (backwards ? -1 : 1) * (order(a, b) || a.room_id.localeCompare(b.room_id)));
    const rooms = all.slice(from, from + limit);
    return {
      rooms,
      offset: from,
      total_rooms: all.length,
      ...(from + rooms.length < all.length ? { next_batch: from + rooms.length } : {}),
      ...(from > 0 ? { prev_batch: Math.max(0, from - limit) } : {}),
    };
  }

  @Get('v1/rooms/:roomId')
  async get(@Tenant() tenant: TenantConfig, @Param('roomId') roomId: string) {
    const { summary, state } = await this.rooms.room(tenant.serverName, roomId);
    return {
      ...roomDetails(
        summary,
        state.map((e) => e.pdu),
      ),
      forgotten: false,
    };
  }

  @Get('v1/rooms/:roomId/members')
  async members(@Tenant() tenant: TenantConfig, @Param('roomId') roomId: string) {
    const members = joinedMembers((await this.rooms.room(tenant.serverName, roomId)).state);
    return { members, total: members.length };
  }

  @Get('v1/rooms/:roomId/state')
  async state(@Tenant() tenant: TenantConfig, @Param('roomId') roomId: string) {
    return { state: (await this.rooms.room(tenant.serverName, roomId)).state.map((e) => toClientEvent(e)) };
  }

  /** Answers at once with the deletion's ID; GET .../delete_status follows it. */
  @Delete('v2/rooms/:roomId')
  async delete(
    @Auth() admin: Requester,
    @Tenant() tenant: TenantConfig,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(deleteBody, raw ?? {});
    return {
      delete_id: await this.deletions.start({
        serverName: tenant.serverName,
        admin: admin.userId,
        roomId,
        block: body.block,
        purge: body.purge,
      }),
    };
  }

  /** The older, synchronous form: answers when the room is shut down (and purged). */
  @Delete('v1/rooms/:roomId')
  async deleteNow(
    @Auth() admin: Requester,
    @Tenant() tenant: TenantConfig,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(deleteBody, raw ?? {});
    return this.deletions.runNow({
      serverName: tenant.serverName,
      admin: admin.userId,
      roomId,
      block: body.block,
      purge: body.purge,
    });
  }

  @Get('v2/rooms/:roomId/delete_status')
  async roomDeleteStatus(@Tenant() tenant: TenantConfig, @Param('roomId') roomId: string) {
    return { results: await this.deletions.statusOfRoom(tenant.serverName, roomId) };
  }

  @Get('v2/rooms/delete_status/:deleteId')
  async deleteStatus(@Tenant() tenant: TenantConfig, @Param('deleteId') deleteId: string) {
    return this.deletions.status(tenant.serverName, deleteId);
  }

  /** Blocking needs no knowledge of the room: an admin may block a room before anyone here is in it. */
  @Put('v1/rooms/:roomId/block')
  async block(@Auth() admin: Requester, @Param('roomId') roomId: string, @Body() raw: unknown) {
    if (!roomId.startsWith('!')) throw Errors.invalidParam('Not a room ID');
    const { block } = validateBody(blockBody, raw);
    await this.deletions.block(roomId, admin.userId, block);
    return { block };
  }

  @Get('v1/rooms/:roomId/block')
  async blockStatus(@Param('roomId') roomId: string) {
    return this.deletions.blockStatus(roomId);
  }
}
