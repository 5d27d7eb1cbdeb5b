import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import type { RoomFacts } from './interest';

/** How long a room's facts are used before they are read again: aliases change without a room event. */
const FACTS_TTL_MS = 30_000;
const MAX_CACHED_ROOMS = 50_000;

/**
 * What the interest rules need of a room (its joined members and local
 * aliases), read from the store and kept a while: a bridged room's events
 * each ask, and its members change far more rarely than it speaks. The
 * router forgets a room when a membership or alias event passes.
 */
@Injectable()
export class RoomFactsReader {
  private readonly cache = new Map<string, { facts: RoomFacts; readAt: number }>();

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async of(roomId: string): Promise<RoomFacts> {
    const cached = this.cache.get(roomId);
    if (cached && Date.now() - cached.readAt < FACTS_TTL_MS) return cached.facts;
    const [members, aliases] = await Promise.all([
      this.db.$queryRaw<Array<{ user_id: string }>>`
        SELECT cs.user_id FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
        WHERE r.room_id = ${roomId} AND cs.membership = 'join'`,
      this.db.roomAlias.findMany({ where: { roomId }, select: { alias: true } }),
    ]);
    const facts = { roomId, joinedMembers: members.map((m) => m.user_id), aliases: aliases.map((a) => a.alias) };
    if (this.cache.size >= MAX_CACHED_ROOMS) this.cache.clear();
    this.cache.set(roomId, { facts, readAt: Date.now() });
    return facts;
  }

  forget(roomId: string): void {
    this.cache.delete(roomId);
  }

  /** The rooms each of `userIds` is joined to, in one query (who still shares a room with a service after a leave). */
  async joinedRoomsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const rooms = new Map<string, string[]>(userIds.map((u) => [u, []]));
    if (userIds.length === 0) return rooms;
    const rows = await this.db.$queryRaw<Array<{ user_id: string; room_id: string }>>`
      SELECT cs.user_id, r.room_id FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
      WHERE cs.user_id = ANY(${[...userIds]}::text[]) AND cs.membership = 'join'`;
    for (const row of rows) rooms.get(row.user_id)?.push(row.room_id);
    return rooms;
  }

  /** The rooms a user is joined to (presence and device lists go to services interested in one of them). */
  async joinedRooms(userId: string): Promise<string[]> {
    const rows = await this.db.$queryRaw<Array<{ room_id: string }>>`
      SELECT r.room_id FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
      WHERE cs.user_id = ${userId} AND cs.membership = 'join'`;
    return rows.map((r) => r.room_id);
  }
}
