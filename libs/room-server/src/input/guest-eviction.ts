import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { partitionKeyOf, type MembershipInput } from '@lattice/contracts';
import { serverNameOf } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import type { RoomWrite } from '../storage/room-store';

/** The rooms a write changed m.room.guest_access in (accepted events only). */
export function roomsWithGuestAccessChange(writes: RoomWrite[]): string[] {
  return writes
    .filter((w) =>
      w.events.some(
        (e) =>
          e.pdu.type === 'm.room.guest_access' &&
          e.pdu.state_key === '' &&
          (e.status === undefined || e.status === 'accepted'),
      ),
    )
    .map((w) => w.head.roomId);
}

/**
 * client-server-api "Guest Access", server behaviour: "If the
 * m.room.guest_access event is changed to stop [can_join] being the case,
 * the server MUST set those users' m.room.member state to leave." Guests
 * are this server's own users (the users table holds only those).
 */
@Injectable()
export class GuestEviction {
  private readonly logger = new Logger(GuestEviction.name);

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /**
   * Each local guest still joined to a room no longer open to guests leaves.
   * The leaves are room input like any other, answered in a later batch:
   * waiting for them here would hold up the batch that carries them.
   */
  async evict(roomIds: string[]): Promise<void> {
    if (roomIds.length === 0) return;
    const guests = await this.db.$queryRawUnsafe<Array<{ room_id: string; user_id: string }>>(
      `SELECT r.room_id, c.user_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid JOIN users u ON u.user_id = c.user_id
       WHERE r.room_id = ANY($1::text[]) AND c.membership = 'join' AND u.is_guest
         AND NOT EXISTS (
           SELECT 1 FROM current_state g JOIN event_types t ON t.type_nid = g.type_nid JOIN event_json j ON j.event_nid = g.event_nid
           WHERE g.room_nid = c.room_nid AND t.type = 'm.room.guest_access' AND (j.json::jsonb) -> 'content' ->> 'guest_access' = 'can_join')`,
      roomIds,
    );
    for (const { room_id: roomId, user_id: userId } of guests) {
      const input: MembershipInput = {
        kind: 'membership',
        inputId: randomUUID(),
        serverName: serverNameOf(userId)!,
        sender: userId,
        roomId,
        action: 'leave',
        target: userId,
      };
      void this.bus
        .request('room.input', input, partitionKeyOf(input))
        .catch((e: Error) => this.logger.error(`guest ${userId} not removed from ${roomId}: ${e.message}`));
    }
  }
}
