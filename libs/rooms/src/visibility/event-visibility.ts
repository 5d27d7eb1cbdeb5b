import { Inject, Injectable } from '@nestjs/common';
import {
  getRoomVersion,
  membershipAfterEvent,
  membershipAtEvent,
  redactEvent,
  serverMaySeeEvent,
  serverNameOf,
  userMaySeeEvent,
  type StateBeforeEvent,
} from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import type { StoredEvent } from '../room-reader';

/** A membership event of one of the viewers, in the order this server received it. */
interface MembershipChange {
  userId: string;
  streamPos: bigint;
  membership: string;
}

interface StateRow {
  event_id: string;
  state_key: string;
  is_visibility: boolean;
  content: Record<string, unknown> | null;
}

/**
 * Reads what the history visibility rules need (libs/protocol
 * history-visibility.ts) and applies them: every path that hands out room
 * events to a user or another server goes through here.
 *
 * The state at each event is read from its snapshot, limited to the
 * `m.room.history_visibility` entry and the members asked about, so the cost
 * does not grow with the room's member count. History fetched from other
 * servers (outliers) has no snapshot: it is judged by the visibility in force
 * when this server's own timeline of the room begins, with the viewer taken
 * as no member at it, so only world_readable or shared history shows there.
 */
@Injectable()
export class EventVisibility {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /**
   * The events a user may see, in their order, each with the user's
   * membership at it (viewerMembership); an erased sender's events are
   * redacted for users who were not joined when they were sent.
   */
  async visibleToUser(userId: string, events: StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return events;
    const [states, changes, erased] = await Promise.all([
      this.statesBefore(events, [userId]),
      this.membershipChanges(roomsOf(events), [userId]),
      this.erasedSenders(events),
    ]);
    const visible: StoredEvent[] = [];
    for (const event of events) {
      const state = states.get(event.eventId)!;
      if (!userMaySeeEvent(userId, event.pdu, state, joinedAfter(changes, event))) continue;
      const before = state.memberships.get(userId);
      const joinedAtEvent = membershipAtEvent(event.pdu, userId, before) === 'join';
      const shown = erased.has(event.pdu.sender) && !joinedAtEvent ? redactedEvent(event) : event;
      visible.push({ ...shown, viewerMembership: membershipAfterEvent(event.pdu, userId, before) });
    }
    return visible;
  }

  /**
   * The events of one room as a server may be given them: whole when one of
   * its users could see them, redacted otherwise (so the DAG it receives
   * stays connected), and redacted when their sender was erased.
   */
  async forServer(serverName: string, roomId: string, events: StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return events;
    const members = await this.serverMembers(roomId, serverName);
    const [states, changes, erased] = await Promise.all([
      this.statesBefore(events, members),
      this.membershipChanges([roomId], members),
      this.erasedSenders(events),
    ]);
    return events.map((event) => {
      const visible = serverMaySeeEvent(serverName, event.pdu, states.get(event.eventId)!, joinedAfter(changes, event));
      return visible && !erased.has(event.pdu.sender) ? event : redactedEvent(event);
    });
  }

  async serverMaySee(serverName: string, event: StoredEvent): Promise<boolean> {
    const [given] = await this.forServer(serverName, event.roomId, [event]);
    return given === event;
  }

  /** Whether the user ever joined the room (a leave after a refused invite is not a former membership). */
  async hasJoined(roomId: string, userId: string): Promise<boolean> {
    return (
      (await this.membershipChanges([roomId], [userId])).get(roomId)?.some((c) => c.membership === 'join') ?? false
    );
  }

  /** Whether a user of the server ever had a membership in the room (joined, invited, left...): the servers that may ask for its history. */
  async serverEverInRoom(roomId: string, serverName: string): Promise<boolean> {
    return (await this.serverMembers(roomId, serverName)).length > 0;
  }

  /** Whether a room's current history visibility is world_readable: anyone may read it without joining (room previews). */
  async isWorldReadable(roomId: string): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<Array<{ visibility: string | null }>>(
      `SELECT (j.json::jsonb) -> 'content' ->> 'history_visibility' AS visibility
       FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid JOIN event_types t ON t.type_nid = c.type_nid
       JOIN event_state_keys k ON k.state_key_nid = c.state_key_nid JOIN event_json j ON j.event_nid = c.event_nid
       WHERE r.room_id = $1 AND t.type = 'm.room.history_visibility' AND k.state_key = ''`,
      roomId,
    );
    return rows[0]?.visibility === 'world_readable';
  }

  /** The state before each event, as far as the rules read it: the visibility setting and the given members. */
  private async statesBefore(events: StoredEvent[], members: string[]): Promise<Map<string, StateBeforeEvent>> {
    const rows = await this.stateRows(
      events.map((e) => e.eventId),
      members,
    );
    const states = new Map<string, { historyVisibility: unknown; memberships: Map<string, string> }>(
      events.map((e) => [e.eventId, { historyVisibility: undefined, memberships: new Map() }]),
    );
    for (const row of rows) {
      const state = states.get(row.event_id)!;
      if (row.is_visibility) state.historyVisibility = row.content?.history_visibility;
      else if (typeof row.content?.membership === 'string')
        state.memberships.set(row.state_key, row.content.membership);
    }
    const outliers = await this.outlierIds(events);
    for (const roomId of new Set(events.filter((e) => outliers.has(e.eventId)).map((e) => e.roomId))) {
      const historyVisibility = await this.visibilityWhereTimelineBegins(roomId);
      for (const e of events)
        if (e.roomId === roomId && outliers.has(e.eventId))
          states.set(e.eventId, { historyVisibility, memberships: new Map() });
    }
    return states;
  }

  /**
   * Entries of the snapshots before the events: a snapshot is layers over a
   * full copy, and the newest layer holding a key wins. Each distinct
   * snapshot is walked once: the events of a page mostly share a few (a
   * message changes no state, so a run of messages has one).
   */
  private stateRows(eventIds: string[], members: string[]): Promise<StateRow[]> {
    return this.db.$queryRawUnsafe<StateRow[]>(
      `WITH RECURSIVE
         visibility_type AS (SELECT type_nid FROM event_types WHERE type = 'm.room.history_visibility'),
         member_type AS (SELECT type_nid FROM event_types WHERE type = 'm.room.member'),
         empty_key AS (SELECT state_key_nid FROM event_state_keys WHERE state_key = ''),
         member_keys AS (SELECT state_key_nid FROM event_state_keys WHERE state_key = ANY($2::text[])),
         targets AS (SELECT e.event_id, e.state_snapshot_nid FROM events e WHERE e.event_id = ANY($1::text[]) AND NOT e.is_outlier),
         chain AS (
           SELECT s.snapshot_nid AS top, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids
           FROM state_snapshots s WHERE s.snapshot_nid IN (SELECT state_snapshot_nid FROM targets)
           UNION ALL
           SELECT c.top, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids
           FROM chain c JOIN state_snapshots s ON s.snapshot_nid = c.parent_snapshot_nid
         ),
         entries AS (
           SELECT DISTINCT ON (c.top, u.type_nid, u.state_key_nid) c.top, u.type_nid, u.state_key_nid, u.entry_nid
           FROM chain c CROSS JOIN LATERAL unnest(c.type_nids, c.state_key_nids, c.event_nids) AS u(type_nid, state_key_nid, entry_nid)
           WHERE (u.type_nid = (SELECT type_nid FROM visibility_type) AND u.state_key_nid = (SELECT state_key_nid FROM empty_key))
              OR (u.type_nid = (SELECT type_nid FROM member_type) AND u.state_key_nid IN (SELECT state_key_nid FROM member_keys))
           ORDER BY c.top, u.type_nid, u.state_key_nid, c.layer_depth DESC
         ),
         contents AS MATERIALIZED (
           SELECT en.top, k.state_key, en.type_nid = (SELECT type_nid FROM visibility_type) AS is_visibility, (j.json::jsonb) -> 'content' AS content
           FROM entries en JOIN event_state_keys k ON k.state_key_nid = en.state_key_nid JOIN event_json j ON j.event_nid = en.entry_nid
         )
       SELECT t.event_id, c.state_key, c.is_visibility, c.content FROM targets t JOIN contents c ON c.top = t.state_snapshot_nid`,
      eventIds,
      members,
    );
  }

  private async outlierIds(events: StoredEvent[]): Promise<Set<string>> {
    // Only history fetched from other servers (negative positions) or state without a place in the timeline (0) can be an outlier.
    const candidates = events.filter((e) => e.streamPos <= 0n);
    if (candidates.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ event_id: string }>>(
      'SELECT event_id FROM events WHERE event_id = ANY($1::text[]) AND is_outlier',
      candidates.map((e) => e.eventId),
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** The visibility setting before the room's first event with known state here. */
  private async visibilityWhereTimelineBegins(roomId: string): Promise<unknown> {
    const [first] = await this.db.$queryRawUnsafe<Array<{ event_id: string }>>(
      `SELECT e.event_id FROM events e JOIN rooms r ON r.room_nid = e.room_nid
       WHERE r.room_id = $1 AND NOT e.is_outlier AND e.stream_pos IS NOT NULL ORDER BY e.stream_pos LIMIT 1`,
      roomId,
    );
    if (!first) return undefined;
    return (await this.stateRows([first.event_id], [])).find((r) => r.is_visibility)?.content?.history_visibility;
  }

  /** Every user of a server that ever had a membership in the room (current_state keeps a row per member, whatever it became). */
  private async serverMembers(roomId: string, serverName: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<Array<{ user_id: string }>>(
      `SELECT c.user_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
       WHERE r.room_id = $1 AND c.user_id LIKE '%:' || $2`,
      roomId,
      serverName,
    );
    return rows.map((r) => r.user_id).filter((userId) => serverNameOf(userId) === serverName);
  }

  /** Per room, the membership events of these members in the order this server received them. */
  private async membershipChanges(roomIds: string[], members: string[]): Promise<Map<string, MembershipChange[]>> {
    if (members.length === 0) return new Map();
    // events_membership_idx (migration 20261207300000) keeps this to the members' own membership events.
    const rows = await this.db.$queryRawUnsafe<
      Array<{ room_id: string; user_id: string; stream_pos: bigint; membership: string }>
    >(
      `SELECT r.room_id, k.state_key AS user_id, e.stream_pos, (j.json::jsonb) -> 'content' ->> 'membership' AS membership
       FROM events e JOIN rooms r ON r.room_nid = e.room_nid JOIN event_json j ON j.event_nid = e.event_nid
       JOIN event_state_keys k ON k.state_key_nid = e.state_key_nid
       WHERE r.room_id = ANY($1::text[]) AND e.type_nid = (SELECT type_nid FROM event_types WHERE type = 'm.room.member')
         AND k.state_key = ANY($2::text[]) AND e.state_key_nid IS NOT NULL AND e.stream_pos IS NOT NULL
         AND NOT e.is_outlier AND NOT e.is_rejected AND NOT e.is_soft_failed
       ORDER BY e.stream_pos`,
      roomIds,
      members,
    );
    const changes = new Map<string, MembershipChange[]>();
    for (const r of rows) {
      const room = changes.get(r.room_id) ?? changes.set(r.room_id, []).get(r.room_id)!;
      room.push({ userId: r.user_id, streamPos: BigInt(r.stream_pos), membership: r.membership });
    }
    return changes;
  }

  private async erasedSenders(events: StoredEvent[]): Promise<Set<string>> {
    const senders = [...new Set(events.map((e) => e.pdu.sender))];
    const rows = await this.db.user.findMany({
      where: { userId: { in: senders }, erased: true },
      select: { userId: true },
    });
    return new Set(rows.map((r) => r.userId));
  }
}

function roomsOf(events: StoredEvent[]): string[] {
  return [...new Set(events.map((e) => e.roomId))];
}

/**
 * Whether one of the members was joined at some point after the event was
 * sent (the `shared` rule), in the order this server received the room: it
 * joined after the event arrived, or was joined when it arrived. The second
 * matters for events that arrive after a join but are not after it in the
 * DAG: a server that rejoins on its own copy of a room fetches the events it
 * missed while away only once the join is in, and they belong to the
 * history its user joined into.
 */
function joinedAfter(changes: Map<string, MembershipChange[]>, event: StoredEvent): boolean {
  const atArrival = new Map<string, string>();
  for (const change of changes.get(event.roomId) ?? []) {
    if (change.streamPos > event.streamPos) {
      if (change.membership === 'join') return true;
    } else atArrival.set(change.userId, change.membership);
  }
  return [...atArrival.values()].includes('join');
}

/** The event as the redaction algorithm of its room version leaves it. */
export function redactedEvent(event: StoredEvent): StoredEvent {
  return { ...event, pdu: redactEvent(getRoomVersion(event.roomVersion), event.pdu) };
}
