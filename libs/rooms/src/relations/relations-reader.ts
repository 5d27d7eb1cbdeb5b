import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** Which children of a parent a page of /relations asks for. */
export interface ChildrenQuery {
  roomId: string;
  parentEventId: string;
  relType?: string;
  eventType?: string;
  /** Levels of relationships followed: 1 for direct children only. */
  depth: number;
  backwards: boolean;
  /** Positions from (inclusive) and to (exclusive) in the direction of the page. */
  from?: bigint;
  to?: bigint;
  /** Nothing after this position (a former member's leave). */
  upTo?: bigint;
  limit: number;
}

export interface RelationSummary {
  parentEventId: string;
  relType: string;
  count: number;
  /** Whether the viewer sent one of these children. */
  viewerParticipated: boolean;
}

/** Aggregated rel_types (client-server-api "Aggregations of child events"); m.annotation is not one. */
export const AGGREGATED_REL_TYPES = ['m.thread', 'm.reference', 'm.replace'] as const;

/**
 * Queries over event_relations. A relation counts only if its child is in
 * the parent's room (the spec ignores others). A redacted child has no row
 * (the persist transaction deletes it: redaction removes `m.relates_to`, and
 * with it the relationship), so counting a thread reads only the index.
 */
@Injectable()
export class RelationsReader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The nids of a page of children, in page order; one more than `limit` when there is a next page. */
  async children(query: ChildrenQuery): Promise<bigint[]> {
    const params: unknown[] = [query.roomId, query.parentEventId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const room = `(SELECT room_nid FROM rooms WHERE room_id = $1)`;
    // Direct children read the (parent, position) indexes; deeper levels walk the tree first.
    const source =
      query.depth <= 1
        ? `SELECT * FROM event_relations r WHERE r.parent_event_id = $2 AND r.room_nid = ${room}`
        : `WITH RECURSIVE tree(event_nid, level) AS (
             SELECT r.event_nid, 1 FROM event_relations r WHERE r.parent_event_id = $2 AND r.room_nid = ${room}
             UNION ALL
             SELECT r.event_nid, tree.level + 1 FROM tree JOIN events pe ON pe.event_nid = tree.event_nid
             JOIN event_relations r ON r.parent_event_id = pe.event_id AND r.room_nid = pe.room_nid
             WHERE tree.level < ${param(query.depth)}
           ) SELECT r.* FROM event_relations r WHERE r.event_nid IN (SELECT event_nid FROM tree)`;
    const conditions: string[] = [];
    if (query.relType !== undefined) conditions.push(`rel.rel_type = ${param(query.relType)}`);
    if (query.eventType !== undefined)
      conditions.push(`rel.type_nid = (SELECT type_nid FROM event_types WHERE type = ${param(query.eventType)})`);
    if (query.upTo !== undefined) conditions.push(`rel.stream_pos <= ${param(query.upTo)}`);
    if (query.from !== undefined)
      conditions.push(`rel.stream_pos ${query.backwards ? '<' : '>='} ${param(query.from)}`);
    if (query.to !== undefined) conditions.push(`rel.stream_pos ${query.backwards ? '>=' : '<'} ${param(query.to)}`);
    const rows = await this.db.$queryRawUnsafe<Array<{ event_nid: bigint }>>(
      `SELECT rel.event_nid FROM (${source}) rel ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY rel.stream_pos ${query.backwards ? 'DESC' : 'ASC'} LIMIT ${param(query.limit + 1)}`,
      ...params,
    );
    return rows.map((r) => BigInt(r.event_nid));
  }

  /** Whether `sender` already annotated the parent with this event type and key (and has not redacted it). */
  async hasAnnotation(
    roomId: string,
    parentEventId: string,
    sender: string,
    eventType: string,
    key: string,
  ): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM event_relations rel
       WHERE rel.parent_event_id = $2 AND rel.rel_type = 'm.annotation' AND rel.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1)
         AND rel.sender = $3 AND rel.type_nid = (SELECT type_nid FROM event_types WHERE type = $4) AND rel.aggregation_key = $5
       LIMIT 1`,
      roomId,
      parentEventId,
      sender,
      eventType,
      key,
    );
    return rows.length > 0;
  }

  /** The root of the thread an event is in (its m.thread parent), if any. */
  async threadOf(eventId: string): Promise<string | undefined> {
    const rows = await this.db.$queryRawUnsafe<Array<{ parent_event_id: string }>>(
      `SELECT rel.parent_event_id FROM event_relations rel JOIN events e ON e.event_nid = rel.event_nid WHERE e.event_id = $1 AND rel.rel_type = 'm.thread'`,
      eventId,
    );
    return rows[0]?.parent_event_id;
  }

  /** Per parent and aggregated rel_type: how many children, and whether the viewer sent one. */
  async summaries(parentEventIds: string[], viewer: string): Promise<RelationSummary[]> {
    if (parentEventIds.length === 0) return [];
    // The parents are compared with the IDs themselves, not row by row in a subquery: a thread of thousands of
    // replies makes its root nearly every row of the column's statistics, and a per-row subquery's generic plan
    // then expects every row to match any parent and scans the whole table for each one.
    const rows = await this.db.$queryRawUnsafe<
      Array<{ parent_event_id: string; rel_type: string; count: number; participated: boolean }>
    >(
      `SELECT r.parent_event_id, r.rel_type, count(*)::int AS count, bool_or(r.sender = $3) AS participated
       FROM event_relations r JOIN events p ON p.event_id = r.parent_event_id AND p.room_nid = r.room_nid
       WHERE r.parent_event_id = ANY($1::text[]) AND r.rel_type = ANY($2::text[])
       GROUP BY r.parent_event_id, r.rel_type`,
      parentEventIds,
      [...AGGREGATED_REL_TYPES],
      viewer,
    );
    return rows.map((r) => ({
      parentEventId: r.parent_event_id,
      relType: r.rel_type,
      count: Number(r.count),
      viewerParticipated: r.participated,
    }));
  }

  /**
   * Up to `perParent` children of each parent with one rel_type, newest
   * first: by position, or for edits by origin_server_ts then event ID (the
   * order client-server-api "Event replacements" ranks them in).
   */
  async latestChildren(
    parentEventIds: string[],
    relType: string,
    perParent: number,
    order: 'position' | 'timestamp',
  ): Promise<Array<{ eventId: string; parentEventId: string }>> {
    if (parentEventIds.length === 0) return [];
    const orderBy = order === 'position' ? 'rel.stream_pos DESC' : 'e.origin_server_ts DESC, e.event_id DESC';
    const rows = await this.db.$queryRawUnsafe<Array<{ event_id: string; parent_event_id: string }>>(
      `SELECT c.event_id, parent.id AS parent_event_id FROM unnest($1::text[]) AS parent(id) JOIN events p ON p.event_id = parent.id CROSS JOIN LATERAL (
         SELECT e.event_id FROM event_relations rel JOIN events e ON e.event_nid = rel.event_nid
         WHERE rel.parent_event_id = parent.id AND rel.room_nid = p.room_nid AND rel.rel_type = $2
         ORDER BY ${orderBy} LIMIT $3
       ) c`,
      parentEventIds,
      relType,
      perParent,
    );
    return rows.map((r) => ({ eventId: r.event_id, parentEventId: r.parent_event_id }));
  }

  /**
   * A page of a room's thread roots, most recently active first: each root
   * with the position of its latest reply, the page's order and token.
   * `participant`: only threads they started or replied in.
   */
  async threadRoots(query: {
    roomId: string;
    before?: bigint;
    upTo?: bigint;
    participant?: string;
    limit: number;
  }): Promise<Array<{ rootEventId: string; latest: bigint }>> {
    const params: unknown[] = [query.roomId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions = [`rel.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1)`, `rel.rel_type = 'm.thread'`];
    if (query.upTo !== undefined) conditions.push(`rel.stream_pos <= ${param(query.upTo)}`);
    const having: string[] = [];
    if (query.before !== undefined) having.push(`max(rel.stream_pos) < ${param(query.before)}`);
    if (query.participant !== undefined) {
      const participant = param(query.participant);
      having.push(`(p.sender = ${participant} OR bool_or(rel.sender = ${participant}))`);
    }
    const rows = await this.db.$queryRawUnsafe<Array<{ parent_event_id: string; latest: bigint }>>(
      `SELECT rel.parent_event_id, max(rel.stream_pos) AS latest
       FROM event_relations rel JOIN events p ON p.event_id = rel.parent_event_id AND p.room_nid = rel.room_nid
       WHERE ${conditions.join(' AND ')}
       GROUP BY rel.parent_event_id, p.sender ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
       ORDER BY latest DESC LIMIT ${param(query.limit + 1)}`,
      ...params,
    );
    return rows.map((r) => ({ rootEventId: r.parent_event_id, latest: BigInt(r.latest) }));
  }
}
