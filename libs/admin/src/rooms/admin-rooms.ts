import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '@lattice/http';
import type { Pdu } from '@lattice/protocol';
import { CLIENT_ROOM_READS, type ClientRoomReads, type StoredEvent } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { roomSummary, type AdminRoomSummary } from './room-details';

/**
 * The rooms an admin of a tenant sees: those where a user of the tenant has
 * a membership (joined, invited, left, banned...), as another homeserver
 * would know only the rooms its users took part in.
 */
@Injectable()
export class AdminRooms {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(CLIENT_ROOM_READS) private readonly reader: ClientRoomReads,
  ) {}

  async roomIds(serverName: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string }>>(
      `SELECT DISTINCT r.room_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE c.user_id LIKE '%:' || $1`,
      serverName,
    );
    return rows.map((r) => r.room_id);
  }

  async summaries(serverName: string): Promise<AdminRoomSummary[]> {
    const published = new Set(await this.reader.publishedRooms(serverName));
    const summaries: AdminRoomSummary[] = [];
    for (const roomId of await this.roomIds(serverName)) {
      const { version, state } = await this.load(roomId);
      summaries.push(
        roomSummary(
          roomId,
          version,
          state.map((e) => e.pdu),
          serverName,
          published.has(roomId),
        ),
      );
    }
    return summaries;
  }

  /** A room of the tenant with its state, or 404 for rooms the tenant's users never were in. */
  async room(serverName: string, roomId: string): Promise<{ summary: AdminRoomSummary; state: StoredEvent[] }> {
    if (!(await this.isTenantRoom(serverName, roomId))) throw Errors.notFound('Room not found');
    const { version, state } = await this.load(roomId);
    const published = (await this.reader.publishedRooms(serverName)).includes(roomId);
    return {
      summary: roomSummary(
        roomId,
        version,
        state.map((e) => e.pdu),
        serverName,
        published,
      ),
      state,
    };
  }

  async isTenantRoom(serverName: string, roomId: string): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = $1 AND c.user_id LIKE '%:' || $2 LIMIT 1`,
      roomId,
      serverName,
    );
    return rows.length > 0;
  }

  /** Users of the tenant joined to or invited into the room, who leave when it is deleted. */
  async tenantMembers(serverName: string, roomId: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<Array<{ user_id: string }>>(
      `SELECT c.user_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
       WHERE r.room_id = $1 AND c.user_id LIKE '%:' || $2 AND c.membership IN ('join', 'invite', 'knock') ORDER BY c.user_id`,
      roomId,
      serverName,
    );
    return rows.map((r) => r.user_id);
  }

  private async load(roomId: string): Promise<{ version: string; state: StoredEvent[] }> {
    const version = await this.reader.roomVersion(roomId);
    if (!version) throw Errors.notFound('Room not found');
    return { version: version.id, state: await this.reader.currentState(roomId) };
  }
}

/** The joined members' user IDs from a room's state. */
export function joinedMembers(state: readonly StoredEvent[]): string[] {
  return state
    .filter((e) => (e.pdu as Pdu).type === 'm.room.member' && e.pdu.content.membership === 'join')
    .map((e) => e.pdu.state_key!);
}
