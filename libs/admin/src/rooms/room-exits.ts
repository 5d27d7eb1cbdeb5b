import { Inject, Injectable, Logger } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { RoomInputClient } from '@lattice/rooms';

/**
 * Takes users out of rooms on an admin's behalf (deactivation, room
 * deletion): each leaves by themselves, which the auth rules always allow,
 * so no admin needs power in the room. A failure is logged and reported, and
 * the rest go on.
 */
@Injectable()
export class RoomExits {
  private readonly logger = new Logger(RoomExits.name);

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly rooms: RoomInputClient,
  ) {}

  async joinedRooms(userId: string): Promise<string[]> {
    return (await this.roomsWhere(userId, ['join'])).map((r) => r.room_id);
  }

  /** Every room where the user is joined, invited or knocking. */
  async leaveAll(userId: string, serverName: string): Promise<void> {
    for (const { room_id: roomId } of await this.roomsWhere(userId, ['join', 'invite', 'knock']))
      await this.leave(roomId, userId, serverName);
  }

  private roomsWhere(userId: string, memberships: string[]) {
    return this.db.$queryRawUnsafe<Array<{ room_id: string }>>(
      `SELECT r.room_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE c.user_id = $1 AND c.membership = ANY($2::text[]) ORDER BY r.room_id`,
      userId,
      memberships,
    );
  }

  /** Answers whether the user is out of the room now. */
  async leave(roomId: string, userId: string, serverName: string): Promise<boolean> {
    try {
      await this.rooms.submit({
        kind: 'membership',
        serverName,
        sender: userId,
        roomId,
        action: 'leave',
        target: userId,
        reason: 'Removed by a server admin',
      });
      return true;
    } catch (e) {
      this.logger.warn(`${userId} could not leave ${roomId}: ${(e as Error).message}`);
      return false;
    }
  }
}
