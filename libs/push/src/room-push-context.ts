import { Inject, Injectable } from '@nestjs/common';
import { effectiveRules, type PushRules } from '@lattice/push-rules';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** What evaluating an event needs of its room, read once per event. */
export interface RoomPushContext {
  /** The room's current state snapshot it was read at (rooms.state_snapshot_nid), if the room has one. */
  snapshot?: string;
  /** Everyone joined, local or not: room_member_count. */
  memberCount: number;
  /** The room's m.room.power_levels content, or undefined before there is one. */
  powerLevels?: Record<string, unknown>;
  /** Local joined members who changed their rules, with them; everyone else has the server defaults. */
  customRules: Map<string, PushRules>;
}

/**
 * Reads the room's state and the members' rules straight from the event
 * store and account data: the push service imports no other service.
 */
@Injectable()
export class RoomPushContextReader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /**
   * One statement: this runs for every event sent, and on a machine where a
   * round trip to the database costs about as much CPU as evaluating the
   * rules, three reads cost three times one.
   */
  async read(roomId: string): Promise<RoomPushContext> {
    // Custom rules go from the few users with rules of their own to their membership, not from every member of the
    // room (a scan of 10,000 members per batch of events otherwise).
    const [row] = await this.db.$queryRawUnsafe<
      Array<{
        snapshot: bigint | null;
        member_count: number;
        power_levels: string | null;
        custom_users: string[];
        custom_rules: string[];
      }>
    >(
      `WITH room AS (SELECT room_nid, state_snapshot_nid FROM rooms WHERE room_id = $1),
            custom AS (
              SELECT ad.user_id, ad.content
                FROM account_data ad
               WHERE ad.room_id = '' AND ad.type = 'm.push_rules'
                 AND EXISTS (SELECT 1 FROM current_state cs
                              WHERE cs.user_id = ad.user_id AND cs.membership = 'join'
                                AND cs.room_nid = (SELECT room_nid FROM room)))
       SELECT (SELECT state_snapshot_nid FROM room) AS snapshot,
              (SELECT count(*)::int FROM current_state cs
                WHERE cs.room_nid = (SELECT room_nid FROM room) AND cs.membership = 'join') AS member_count,
              (SELECT ej.json
                 FROM current_state cs
                 JOIN event_types t ON t.type_nid = cs.type_nid
                 JOIN event_state_keys k ON k.state_key_nid = cs.state_key_nid
                 JOIN event_json ej ON ej.event_nid = cs.event_nid
                WHERE cs.room_nid = (SELECT room_nid FROM room) AND t.type = 'm.room.power_levels' AND k.state_key = '')
                AS power_levels,
              ARRAY(SELECT user_id FROM custom ORDER BY user_id) AS custom_users,
              ARRAY(SELECT content FROM custom ORDER BY user_id) AS custom_rules`,
      roomId,
    );
    return {
      ...(row?.snapshot != null ? { snapshot: String(row.snapshot) } : {}),
      memberCount: row?.member_count ?? 0,
      powerLevels:
        row?.power_levels == null
          ? undefined
          : ((JSON.parse(row.power_levels) as { content?: Record<string, unknown> }).content ?? {}),
      customRules: new Map(
        (row?.custom_users ?? []).map((userId, i) => [
          userId,
          effectiveRules(JSON.parse(row.custom_rules[i]) as unknown, userId),
        ]),
      ),
    };
  }

  /** Which of these users have an account here and one of these memberships in the room now. */
  async localMembersAmong(roomId: string, userIds: string[], memberships: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.$queryRawUnsafe<Array<{ user_id: string }>>(
      `SELECT cs.user_id FROM current_state cs JOIN users u ON u.user_id = cs.user_id
        WHERE cs.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1) AND cs.user_id = ANY($2::text[])
          AND cs.membership = ANY($3::text[])`,
      roomId,
      userIds,
      memberships,
    );
    return rows.map((r) => r.user_id);
  }

  /** The content of a current state event of the room. */
  async stateContent(roomId: string, type: string, stateKey: string): Promise<Record<string, unknown> | undefined> {
    const rows = await this.db.$queryRawUnsafe<Array<{ json: string }>>(
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
    return rows.length
      ? ((JSON.parse(rows[0].json) as { content?: Record<string, unknown> }).content ?? {})
      : undefined;
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
      const parent = await this.db.$queryRawUnsafe<Array<{ parent_event_id: string; rel_type: string }>>(
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
