import { Controller, Get, Query } from '@nestjs/common';
import { Auth, Errors, RateLimited, Requester } from '@lattice/http';
import { isRoomId, isValidHistoricalUserId } from '@lattice/protocol';
import { StorageAccess } from '../storage-access';

/** Rooms per page; the spec leaves the batch size to the server. */
const BATCH = 100;

/**
 * GET /mutual_rooms (client-server-api "Mutual rooms", MSC2666): the rooms
 * both the requester and `user_id` are joined to, in room ID order, paged
 * by the last room ID of a page. Also served at MSC2666's unstable path,
 * which clients still use.
 */
@Controller('_matrix/client')
export class MutualRoomsController {
  constructor(private readonly storage: StorageAccess) {}

  @Get('v1/mutual_rooms')
  @RateLimited()
  stable(@Auth() r: Requester, @Query('user_id') userId?: string, @Query('from') from?: string) {
    return this.mutual(r, userId, from);
  }

  @Get('unstable/uk.half-shot.msc2666/user/mutual_rooms')
  @RateLimited()
  unstable(@Auth() r: Requester, @Query('user_id') userId?: string, @Query('from') from?: string) {
    return this.mutual(r, userId, from);
  }

  private async mutual(r: Requester, userId: string | undefined, from: string | undefined) {
    if (userId === undefined) throw Errors.missingParam('user_id is required');
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam('The user ID provided was invalid');
    if (userId === r.userId) throw Errors.invalidParam('user_id must be another user');
    if (from !== undefined && !isRoomId(from)) throw Errors.invalidParam('Invalid from token');
    const [mine, theirs] = await Promise.all([
      this.storage.reader.roomsOfUser(r.userId, ['join']),
      this.storage.reader.roomsOfUser(userId, ['join']),
    ]);
    const theirIds = new Set(theirs.map((room) => room.roomId));
    const shared = mine
      .map((room) => room.roomId)
      .filter((roomId) => theirIds.has(roomId))
      .sort();
    const page = shared.filter((roomId) => from === undefined || roomId > from).slice(0, BATCH);
    const more = page.length > 0 && page.at(-1)! < shared.at(-1)!;
    return { joined: page, count: shared.length, ...(more ? { next_batch: page.at(-1) } : {}) };
  }
}
