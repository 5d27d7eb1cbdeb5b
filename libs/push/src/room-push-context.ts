import { Inject, Injectable } from '@nestjs/common';
import { effectiveRules, type PushRules } from '@lattice/push-rules';
import { DATABASE, type Database } from '@lattice/storage';

/** What evaluating an event for a room's members needs, read once per event. */
export interface RoomPushContext {
  /** Local users joined to the room now. */
  localMembers: string[];
  /** Everyone joined, local or not: room_member_count. */
  memberCount: number;
  /** The room's m.room.power_levels content, or undefined before there is one. */
  powerLevels?: Record<string, unknown>;
}

/**
 * Reads the room's state and the members' rules straight from the event
 * store and account data: the push service imports no other service.
 */
@Injectable()
export class RoomPushContextReader {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async read(roomId: string): Promise<RoomPushContext> {
    const members = await this.db.prisma.$queryRawUnsafe<Array<{ user_id: string; local: boolean }>>(
      `SELECT cs.user_id, (u.user_id IS NOT NULL) AS local
         FROM current_state cs
         JOIN rooms r ON r.room_nid = cs.room_nid
         LEFT JOIN users u ON u.user_id = cs.user_id
        WHERE r.room_id = $1 AND cs.membership = 'join'`,
      roomId,
    );
    const power = await this.stateContent(roomId, 'm.room.power_levels', '');
    return { localMembers: members.filter((m) => m.local).map((m) => m.user_id), memberCount: members.length, powerLevels: power };
  }

  /** The content of a current state event of the room. */
  async stateContent(roomId: string, type: string, stateKey: string): Promise<Record<string, unknown> | undefined> {
    const rows = await this.db.prisma.$queryRawUnsafe<Array<{ json: string }>>(
      `SELECT ej.json
         FROM current_state cs
         JOIN rooms r ON r.room_nid = cs.room_nid
         JOIN event_types t ON t.type_nid = cs.type_nid
         JOIN event_state_keys k ON k.state_key_nid = cs.state_key_nid
         JOIN event_json ej ON ej.event_nid = cs.event_nid
        WHERE r.room_id = $1 AND t.type = $2 AND k.state_key = $3`,
      roomId,
      type,
      stateKey,
    );
    return rows.length ? ((JSON.parse(rows[0].json) as { content?: Record<string, unknown> }).content ?? {}) : undefined;
  }

  /** Each user's push rules: their m.push_rules account data merged with the server defaults. */
  async rulesOf(userIds: string[]): Promise<Map<string, PushRules>> {
    const rows = userIds.length
      ? await this.db.prisma.accountData.findMany({ where: { userId: { in: userIds }, roomId: '', type: 'm.push_rules' }, select: { userId: true, content: true } })
      : [];
    const stored = new Map(rows.map((r) => [r.userId, JSON.parse(r.content) as unknown]));
    return new Map(userIds.map((u) => [u, effectiveRules(stored.get(u), u)]));
  }

  /**
   * The thread an event belongs to (client-server-api "Marking notifications
   * as read"): follow m.relates_to up to 3 hops to an m.thread relation;
   * "main" when there is none.
   */
  async threadOf(content: Record<string, unknown>): Promise<string> {
    let relation = relationOf(content);
    for (let hop = 0; hop < 3 && relation; hop++) {
      if (relation.relType === 'm.thread') return relation.parent;
      const parent = await this.db.prisma.$queryRawUnsafe<Array<{ parent_event_id: string; rel_type: string }>>(
        `SELECT er.parent_event_id, er.rel_type FROM event_relations er JOIN events e ON e.event_nid = er.event_nid WHERE e.event_id = $1`,
        relation.parent,
      );
      relation = parent.length ? { parent: parent[0].parent_event_id, relType: parent[0].rel_type } : undefined;
    }
    return 'main';
  }
}

function relationOf(content: Record<string, unknown>): { parent: string; relType: string } | undefined {
  const relatesTo = content['m.relates_to'] as { event_id?: unknown; rel_type?: unknown } | undefined;
  if (typeof relatesTo?.event_id !== 'string' || typeof relatesTo.rel_type !== 'string') return undefined;
  return { parent: relatesTo.event_id, relType: relatesTo.rel_type };
}
