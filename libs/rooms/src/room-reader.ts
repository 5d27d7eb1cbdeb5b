import { Inject, Injectable } from '@nestjs/common';
import {
  getRoomVersion,
  knownRoomVersions,
  redactEvent,
  stripEvent,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { readSnapshotNids } from './state-snapshot-reader';

/** An event as read back from the store, with what clients need beyond the PDU. */
export interface StoredEvent {
  eventId: string;
  roomId: string;
  /** The room's version: how the event is redacted. */
  roomVersion: string;
  pdu: Pdu;
  streamPos: bigint;
  depth: bigint;
  redactedBy: string | null;
  /** The redaction event named by redactedBy (unsigned.redacted_because). */
  redactedBecause: Pdu | null;
  txnId: string | null;
  senderDeviceId: string | null;
  /** The viewer's membership once the event is applied (unsigned.membership), set when EventVisibility judged it for a user. */
  viewerMembership?: string;
  /** For a state event: the one it replaced in the state before it (unsigned.prev_content), redacted if it was. */
  replaces?: { eventId: string; pdu: Pdu };
}

/** A timeline event without its JSON (see eventHeadersInRange). */
export interface EventHeader {
  eventNid: bigint;
  streamPos: bigint;
  roomId: string;
  sender: string;
  /** Set for member events: whose membership, and what it becomes. */
  membershipOf?: string;
  membership?: string;
}

interface EventRow {
  event_nid: bigint;
  event_id: string;
  room_id: string;
  room_version: string;
  json: string;
  stream_pos: bigint | null;
  depth: bigint;
  redacted_by: string | null;
  redaction_json: string | null;
  txn_id: string | null;
  sender_device_id: string | null;
  replaces_state: string | null;
  /** The replaced state event's JSON, prefixed with `redacted:` when it was redacted. */
  replaced_json: string | null;
}

/** Room versions whose room ID is the create event's ID: their create event is an implied auth event. */
const CREATE_EVENT_IMPLIED_VERSIONS = knownRoomVersions()
  .filter((v) => v.roomIdFromCreateEvent)
  .map((v) => v.id);

// The redaction's JSON comes with a redacted event, and the replaced state event's with a state event, each read by
// the unique event_id index only when there is one.
const EVENT_COLUMNS = `e.event_nid, e.event_id, r.room_id, r.room_version, j.json, e.stream_pos, e.depth, e.redacted_by,
  (SELECT rj.json FROM events re JOIN event_json rj ON rj.event_nid = re.event_nid WHERE re.event_id = e.redacted_by) AS redaction_json,
  e.txn_id, e.sender_device_id, e.replaces_state,
  (SELECT CASE WHEN pe.redacted_by IS NULL THEN pj.json ELSE 'redacted:' || pj.json END
     FROM events pe JOIN event_json pj ON pj.event_nid = pe.event_nid WHERE pe.event_id = e.replaces_state) AS replaced_json`;
const EVENT_JOINS = `FROM events e JOIN event_json j ON j.event_nid = e.event_nid JOIN rooms r ON r.room_nid = e.room_nid`;

/**
 * Read-only queries over the event store, shared by the client-api and
 * sync services (they read the one store directly; only the room-server
 * writes it). Redacted events come back redacted.
 */
@Injectable()
export class RoomReader {
  private memberType: number | undefined;

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async roomVersion(roomId: string): Promise<RoomVersion | undefined> {
    const room = await this.db.room.findUnique({ where: { roomId }, select: { roomVersion: true } });
    return room ? getRoomVersion(room.roomVersion) : undefined;
  }

  /** The current state of a room, optionally only one type. */
  async currentState(roomId: string, type?: string): Promise<StoredEvent[]> {
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} JOIN current_state c ON c.event_nid = e.event_nid
       WHERE c.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1) ${type ? 'AND c.type_nid = (SELECT type_nid FROM event_types WHERE type = $2)' : ''} ORDER BY e.stream_pos`,
      ...(type ? [roomId, type] : [roomId]),
    );
    return rows.map(toStoredEvent);
  }

  /**
   * The state of a room once every event up to stream position `position`
   * is applied: the state before the room's first later event (each event
   * row points at the snapshot before it), or the current state if there is
   * none. History fetched with /backfill (outliers: the state at them is not
   * known) is passed over. Optionally only one type.
   */
  async stateAt(roomId: string, position: bigint, type?: string): Promise<StoredEvent[]> {
    const [next] = await this.db.$queryRawUnsafe<Array<{ state_snapshot_nid: bigint | null }>>(
      `SELECT e.state_snapshot_nid FROM events e JOIN rooms r ON r.room_nid = e.room_nid
       WHERE r.room_id = $1 AND e.stream_pos > $2 AND NOT e.is_outlier ORDER BY e.stream_pos ASC LIMIT 1`,
      roomId,
      position,
    );
    if (!next) return this.currentState(roomId, type);
    if (next.state_snapshot_nid === null) return [];
    const nids = [...(await readSnapshotNids(this.db, BigInt(next.state_snapshot_nid))).values()];
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_nid = ANY($1::bigint[]) ORDER BY e.stream_pos`,
      nids,
    );
    return rows.map(toStoredEvent).filter((e) => type === undefined || e.pdu.type === type);
  }

  /**
   * stateAt() for many rooms in a few reads (an initial sync's state
   * sections): for each room, its state once every event up to its
   * position is applied. With `members` (lazy-loaded members), a room's
   * member events are read only for the users it names: the others are
   * left in the database, not read and dropped.
   */
  async statesAt(
    positions: Map<string, bigint>,
    members?: ReadonlyMap<string, Iterable<string>>,
  ): Promise<Map<string, StoredEvent[]>> {
    const states = new Map<string, StoredEvent[]>();
    if (positions.size === 0) return states;
    const next = await this.db.$queryRawUnsafe<
      Array<{
        room_id: string;
        found: boolean | null;
        state_snapshot_nid: bigint | null;
        current_snapshot_nid: bigint | null;
      }>
    >(
      `SELECT q.room_id, n.found, n.state_snapshot_nid, r.state_snapshot_nid AS current_snapshot_nid
       FROM unnest($1::text[], $2::bigint[]) AS q(room_id, pos) JOIN rooms r ON r.room_id = q.room_id
       LEFT JOIN LATERAL (SELECT true AS found, e.state_snapshot_nid FROM events e WHERE e.room_nid = r.room_nid AND e.stream_pos > q.pos AND NOT e.is_outlier ORDER BY e.stream_pos ASC LIMIT 1) n ON true`,
      [...positions.keys()],
      [...positions.values()],
    );
    // A room whose state has not changed since the position (no later event, or the later event's snapshot is the
    // room's current one) is read from current_state, not assembled from snapshot layers.
    const current: string[] = [];
    const snapshots = new Map<bigint, string>();
    for (const row of next) {
      states.set(row.room_id, []);
      if (!row.found || (row.state_snapshot_nid !== null && row.state_snapshot_nid === row.current_snapshot_nid))
        current.push(row.room_id);
      else if (row.state_snapshot_nid !== null) snapshots.set(BigInt(row.state_snapshot_nid), row.room_id);
    }
    const rows = [...(await this.currentStates(current, members)), ...(await this.snapshotStates(snapshots, members))];
    for (const row of rows) states.get(row.room_id)!.push(toStoredEvent(row));
    for (const state of states.values()) state.sort(byStreamPos);
    return states;
  }

  /**
   * The current state of each room, members only those `members` names for it when given. Each room's state
   * is read by its (room, type) key ranges either side of m.room.member, and the members named by their keys,
   * so a room of thousands of members costs the rows sent, not its member list.
   */
  private async currentStates(roomIds: string[], members?: ReadonlyMap<string, Iterable<string>>): Promise<EventRow[]> {
    if (roomIds.length === 0) return [];
    const wanted = roomIds.flatMap((roomId) => [...(members?.get(roomId) ?? [])].map((userId) => [roomId, userId]));
    return this.db.$queryRawUnsafe<EventRow[]>(
      `WITH picked AS (
         SELECT c.event_nid FROM unnest($1::text[]) AS q(room_id) JOIN rooms r ON r.room_id = q.room_id
         CROSS JOIN LATERAL (
           SELECT c.event_nid FROM current_state c WHERE c.room_nid = r.room_nid AND c.type_nid < $4
           UNION ALL SELECT c.event_nid FROM current_state c WHERE c.room_nid = r.room_nid AND c.type_nid > $4
           UNION ALL SELECT c.event_nid FROM current_state c WHERE c.room_nid = r.room_nid AND c.type_nid = $4 AND NOT $5::boolean
         ) c
         UNION ALL
         SELECT c.event_nid FROM unnest($2::text[], $3::text[]) AS w(room_id, user_id) JOIN rooms r ON r.room_id = w.room_id
         JOIN event_state_keys k ON k.state_key = w.user_id
         JOIN current_state c ON c.room_nid = r.room_nid AND c.type_nid = $4 AND c.state_key_nid = k.state_key_nid
       )
       SELECT ${EVENT_COLUMNS} FROM picked p JOIN events e ON e.event_nid = p.event_nid
       JOIN event_json j ON j.event_nid = e.event_nid JOIN rooms r ON r.room_nid = e.room_nid`,
      roomIds,
      wanted.map(([roomId]) => roomId),
      wanted.map(([, userId]) => userId),
      await this.memberTypeNid(),
      members !== undefined,
    );
  }

  /**
   * m.room.member's type nid, given to queries as a value: the planner then knows how few of a room's state
   * rows are not members (a subquery would leave it guessing, and choosing to scan all of current_state).
   * Kept once interned (a type's nid never changes); -1 before any member event exists.
   */
  private async memberTypeNid(): Promise<number> {
    if (this.memberType === undefined) {
      const [row] = await this.db.$queryRawUnsafe<Array<{ type_nid: number }>>(
        `SELECT type_nid FROM event_types WHERE type = 'm.room.member'`,
      );
      this.memberType = row?.type_nid;
    }
    return this.memberType ?? -1;
  }

  /**
   * The state of each snapshot, by the room it is of; members as currentStates(). Each snapshot's layers are
   * flattened in the query, a later layer's entry for a (type, state key) replacing an earlier one's (as
   * readSnapshotsNids does), so only the state's events come back, not every layer of every snapshot.
   */
  private async snapshotStates(
    rooms: Map<bigint, string>,
    members?: ReadonlyMap<string, Iterable<string>>,
  ): Promise<EventRow[]> {
    if (rooms.size === 0) return [];
    const wanted = [...rooms].flatMap(([snapshot, roomId]) =>
      [...(members?.get(roomId) ?? [])].map((userId) => [snapshot, userId] as const),
    );
    return this.db.$queryRawUnsafe<EventRow[]>(
      `WITH RECURSIVE chain AS (
         SELECT s.snapshot_nid AS root, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids
         FROM state_snapshots s WHERE s.snapshot_nid = ANY($1::bigint[])
         UNION ALL SELECT c.root, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids
         FROM state_snapshots s JOIN chain c ON s.snapshot_nid = c.parent_snapshot_nid
       ), entries AS (
         SELECT DISTINCT ON (c.root, u.type_nid, u.state_key_nid) c.root, u.type_nid, u.state_key_nid, u.event_nid
         FROM chain c CROSS JOIN LATERAL unnest(c.type_nids, c.state_key_nids, c.event_nids) AS u(type_nid, state_key_nid, event_nid)
         ORDER BY c.root, u.type_nid, u.state_key_nid, c.layer_depth DESC
       ), wanted AS (
         SELECT w.root, k.state_key_nid FROM unnest($2::bigint[], $3::text[]) AS w(root, user_id)
         JOIN event_state_keys k ON k.state_key = w.user_id
       )
       SELECT ${EVENT_COLUMNS} FROM entries x
       LEFT JOIN wanted w ON w.root = x.root AND w.state_key_nid = x.state_key_nid
       JOIN events e ON e.event_nid = x.event_nid JOIN event_json j ON j.event_nid = e.event_nid JOIN rooms r ON r.room_nid = e.room_nid
       WHERE NOT $4::boolean OR w.root IS NOT NULL OR x.type_nid <> $5`,
      [...rooms.keys()],
      wanted.map(([snapshot]) => snapshot),
      wanted.map(([, userId]) => userId),
      members !== undefined,
      await this.memberTypeNid(),
    );
  }

  /**
   * Current state entries that changed in (after, upTo]: current_state
   * records the position that set each entry, which is the entry's own
   * event's, or that of the event whose arrival made state resolution bring
   * an older event back.
   */
  async stateChangedBetween(roomId: string, after: bigint, upTo: bigint): Promise<StoredEvent[]> {
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      // The room as a value, not a join condition, so Postgres reads the (room, position) index rather than all of current_state.
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} JOIN current_state c ON c.event_nid = e.event_nid
       WHERE c.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1) AND c.stream_pos > $2 AND c.stream_pos <= $3
       ORDER BY c.stream_pos`,
      roomId,
      after,
      upTo,
    );
    return rows.map(toStoredEvent);
  }

  /**
   * The room's current state events of `types` (all when undefined), and
   * of m.room.member only `members`' (all when undefined), in one read.
   */
  async currentStateOf(
    roomId: string,
    types: string[] | undefined,
    members: string[] | undefined,
  ): Promise<StoredEvent[]> {
    if (types?.length === 0) return [];
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} JOIN current_state c ON c.event_nid = e.event_nid
       JOIN event_types t ON t.type_nid = c.type_nid
       WHERE c.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1)
         AND ($2::text[] IS NULL OR t.type = ANY($2::text[]))
         AND (c.user_id IS NULL OR $3::text[] IS NULL OR c.user_id = ANY($3::text[]))
       ORDER BY e.stream_pos`,
      roomId,
      types ?? null,
      members ?? null,
    );
    return rows.map(toStoredEvent);
  }

  async stateEvent(roomId: string, type: string, stateKey: string): Promise<StoredEvent | undefined> {
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      // The current_state key (room, type, state key) spelled out finds the one row whatever the planner knows:
      // joined through its event, every member's row of a large room was read to find one (64 ms at 3,000 members
      // on PGlite, which gathers no statistics on its own).
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} JOIN current_state c ON c.event_nid = e.event_nid
       WHERE c.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1)
         AND c.type_nid = (SELECT type_nid FROM event_types WHERE type = $2)
         AND c.state_key_nid = (SELECT state_key_nid FROM event_state_keys WHERE state_key = $3)`,
      roomId,
      type,
      stateKey,
    );
    return rows[0] && toStoredEvent(rows[0]);
  }

  /** A user's current membership of a room (undefined if they never had one). */
  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const rows = await this.db.$queryRawUnsafe<Array<{ membership: string }>>(
      `SELECT c.membership FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = $1 AND c.user_id = $2`,
      roomId,
      userId,
    );
    return rows[0]?.membership;
  }

  /** A user's current membership of a room with the position that set it, or undefined if they never had one. */
  async membershipEntry(
    roomId: string,
    userId: string,
  ): Promise<{ membership: string; streamPos: bigint } | undefined> {
    const [row] = await this.db.$queryRawUnsafe<Array<{ membership: string; stream_pos: bigint }>>(
      `SELECT c.membership, c.stream_pos FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = $1 AND c.user_id = $2`,
      roomId,
      userId,
    );
    return row && { membership: row.membership, streamPos: BigInt(row.stream_pos) };
  }

  /** Whether the user forgot the room after leaving it (POST /forget). */
  async hasForgotten(roomId: string, userId: string): Promise<boolean> {
    return (await this.db.forgottenRoom.findUnique({ where: { userId_roomId: { userId, roomId } } })) !== null;
  }

  /**
   * Rooms where the user's current membership is one of `memberships`.
   * Invites to and knocks on rooms this server is not in are kept apart
   * (remote_invites, remote_knocks); a room this server was in before also
   * has its old state here, so the newer of the two (by stream position) is
   * the user's membership.
   */
  async roomsOfUser(
    userId: string,
    memberships: string[],
  ): Promise<Array<{ roomId: string; membership: string; streamPos: bigint }>> {
    return (await this.roomsOfUsers([userId], memberships)).get(userId)!;
  }

  /** roomsOfUser() of many users in one read (every user is in the map), each user's rooms ordered by room ID. */
  async roomsOfUsers(
    userIds: string[],
    memberships: string[],
  ): Promise<Map<string, Array<{ roomId: string; membership: string; streamPos: bigint }>>> {
    const rooms = new Map(
      userIds.map((id) => [id, [] as Array<{ roomId: string; membership: string; streamPos: bigint }>]),
    );
    if (userIds.length === 0) return rooms;
    const rows = await this.db.$queryRawUnsafe<
      Array<{ user_id: string; room_id: string; membership: string; stream_pos: bigint }>
    >(
      `SELECT user_id, room_id, membership, stream_pos FROM (
         SELECT DISTINCT ON (user_id, room_id) user_id, room_id, membership, stream_pos FROM (
           SELECT c.user_id, r.room_id, c.membership, c.stream_pos FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
           WHERE c.user_id = ANY($1::text[])
           UNION ALL
           SELECT i.user_id, i.room_id, i.membership, i.stream_pos FROM remote_invites i WHERE i.user_id = ANY($1::text[])
           UNION ALL
           SELECT k.user_id, k.room_id, k.membership, k.stream_pos FROM remote_knocks k WHERE k.user_id = ANY($1::text[])
         ) every_source ORDER BY user_id, room_id, stream_pos DESC
       ) latest WHERE membership = ANY($2::text[]) ORDER BY user_id, room_id`,
      [...new Set(userIds)],
      memberships,
    );
    for (const r of rows)
      rooms.get(r.user_id)?.push({ roomId: r.room_id, membership: r.membership, streamPos: BigInt(r.stream_pos) });
    return rooms;
  }

  /** What an invite to a room this server is not in shows: the stripped state the inviter sent, and the invite. */
  async remoteInviteState(roomId: string, userId: string): Promise<JsonObject[] | undefined> {
    const invite = await this.db.remoteInvite.findUnique({ where: { roomId_userId: { roomId, userId } } });
    if (invite?.membership !== 'invite') return undefined;
    const pdu = JSON.parse(invite.event) as Pdu;
    const state = (JSON.parse(invite.inviteRoomState) as Pdu[]).map(stripEvent);
    return [...state, stripEvent(pdu)] as unknown as JsonObject[];
  }

  /**
   * The leave that ended an invite to a room this server is not in (declined
   * or rescinded: an out-of-band membership, see RemoteInvites), as the
   * user's rooms.leave shows it.
   */
  async outOfBandLeave(roomId: string, userId: string): Promise<StoredEvent | undefined> {
    const row = await this.db.remoteInvite.findUnique({ where: { roomId_userId: { roomId, userId } } });
    if (row?.membership !== 'leave') return undefined;
    const pdu = JSON.parse(row.event) as Pdu;
    return {
      eventId: row.eventId,
      roomId,
      roomVersion: row.roomVersion ?? '1',
      pdu,
      streamPos: row.streamPos,
      depth: BigInt(pdu.depth),
      redactedBy: null,
      redactedBecause: null,
      txnId: null,
      senderDeviceId: null,
    };
  }

  /** What a knock on a room this server is not in shows: the stripped state the resident server sent, and the knock. */
  async remoteKnockState(roomId: string, userId: string): Promise<JsonObject[] | undefined> {
    const knock = await this.db.remoteKnock.findUnique({ where: { roomId_userId: { roomId, userId } } });
    return knock?.membership === 'knock' ? (JSON.parse(knock.knockState) as JsonObject[]) : undefined;
  }

  /**
   * Every event reachable from these through auth_events (server-server-api
   * "auth chain"), oldest first. From room v12 the create event is an auth
   * event of every other event without being listed (rooms/v12.md: "the
   * room_id ... implies this instead"), so it is in every such chain.
   */
  async authChain(eventIds: string[]): Promise<StoredEvent[]> {
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `WITH RECURSIVE chain(event_id) AS (
         SELECT a.auth_event_id FROM events e JOIN event_auth_edges a ON a.event_nid = e.event_nid WHERE e.event_id = ANY($1::text[])
         UNION
         SELECT '$' || substr(r.room_id, 2) FROM events e JOIN rooms r ON r.room_nid = e.room_nid
         WHERE e.event_id = ANY($1::text[]) AND r.room_version = ANY($2::text[]) AND e.event_id <> '$' || substr(r.room_id, 2)
         UNION
         SELECT a.auth_event_id FROM chain c JOIN events e ON e.event_id = c.event_id JOIN event_auth_edges a ON a.event_nid = e.event_nid
       ) SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_id IN (SELECT event_id FROM chain) ORDER BY e.depth, e.stream_pos`,
      eventIds,
      CREATE_EVENT_IMPLIED_VERSIONS,
    );
    return rows.map(toStoredEvent);
  }

  /** The room's state before an event (its snapshot), or undefined for an event without one (an outlier, or unknown). */
  async stateBefore(eventId: string): Promise<StoredEvent[] | undefined> {
    const [row] = await this.db.$queryRawUnsafe<Array<{ state_snapshot_nid: bigint | null }>>(
      'SELECT state_snapshot_nid FROM events WHERE event_id = $1 AND NOT is_outlier',
      eventId,
    );
    if (!row) return undefined;
    if (row.state_snapshot_nid === null) return [];
    const nids = [...(await readSnapshotNids(this.db, BigInt(row.state_snapshot_nid))).values()];
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_nid = ANY($1::bigint[]) ORDER BY e.depth`,
      nids,
    );
    return rows.map(toStoredEvent);
  }

  /**
   * A breadth-first walk of prev_events from `from` (included when
   * `includeStart`), skipping `exclude`, until `limit` events: backfill and
   * get_missing_events.
   */
  async walkBack(
    roomId: string,
    from: string[],
    limit: number,
    options: { includeStart: boolean; exclude?: Set<string> },
  ): Promise<StoredEvent[]> {
    const seen = new Set<string>(options.exclude);
    const found: StoredEvent[] = [];
    let frontier = options.includeStart ? from : await this.prevEventIds(from);
    while (frontier.length && found.length < limit) {
      const fresh = frontier.filter((id) => !seen.has(id));
      fresh.forEach((id) => seen.add(id));
      if (fresh.length === 0) break;
      const rows = await this.db.$queryRawUnsafe<EventRow[]>(
        `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE r.room_id = $1 AND e.event_id = ANY($2::text[]) AND NOT e.is_rejected ORDER BY e.depth DESC`,
        roomId,
        fresh,
      );
      found.push(...rows.map(toStoredEvent).slice(0, limit - found.length));
      frontier = await this.prevEventIds(rows.map((r) => r.event_id));
    }
    return found;
  }

  private async prevEventIds(eventIds: string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const rows = await this.db.$queryRawUnsafe<Array<{ prev_event_id: string }>>(
      'SELECT g.prev_event_id FROM event_edges g JOIN events e ON e.event_nid = g.event_nid WHERE e.event_id = ANY($1::text[])',
      eventIds,
    );
    return [...new Set(rows.map((r) => r.prev_event_id))];
  }

  /** The room's event sent closest to `ts`, at or after it (`f`) or at or before it (`b`); outliers, rejected and soft-failed events aside. */
  async eventNearTimestamp(
    roomId: string,
    ts: number,
    dir: 'f' | 'b',
  ): Promise<{ eventId: string; originServerTs: number } | undefined> {
    const [row] = await this.db.$queryRawUnsafe<Array<{ event_id: string; origin_server_ts: bigint }>>(
      `SELECT e.event_id, e.origin_server_ts FROM events e JOIN rooms r ON r.room_nid = e.room_nid
       WHERE r.room_id = $1 AND NOT e.is_outlier AND NOT e.is_rejected AND NOT e.is_soft_failed AND e.origin_server_ts ${dir === 'f' ? '>=' : '<='} $2
       ORDER BY e.origin_server_ts ${dir === 'f' ? 'ASC' : 'DESC'}, e.stream_pos ${dir === 'f' ? 'ASC' : 'DESC'} LIMIT 1`,
      roomId,
      BigInt(ts),
    );
    return row && { eventId: row.event_id, originServerTs: Number(row.origin_server_ts) };
  }

  /** Which of these event IDs this server has. */
  async knownEventIds(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ event_id: string }>>(
      'SELECT event_id FROM events WHERE event_id = ANY($1::text[])',
      eventIds,
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /**
   * The timeline events in (after, upTo] as routing sees them before it
   * needs their JSON: who sent each, where, and the membership a member
   * event sets (the only JSON read, and only of member events).
   */
  async eventHeadersInRange(after: bigint, upTo: bigint, limit: number): Promise<EventHeader[]> {
    const rows = await this.db.$queryRawUnsafe<
      Array<{
        event_nid: bigint;
        stream_pos: bigint;
        room_id: string;
        sender: string;
        state_key: string | null;
        membership: string | null;
      }>
    >(
      `SELECT e.event_nid, e.stream_pos, r.room_id, e.sender, k.state_key, (j.json::jsonb) -> 'content' ->> 'membership' AS membership
       FROM events e JOIN rooms r ON r.room_nid = e.room_nid JOIN event_types t ON t.type_nid = e.type_nid
       LEFT JOIN event_state_keys k ON k.state_key_nid = e.state_key_nid
       LEFT JOIN event_json j ON j.event_nid = e.event_nid AND t.type = 'm.room.member'
       WHERE e.stream_pos > $1 AND e.stream_pos <= $2 AND NOT e.is_rejected AND NOT e.is_soft_failed ORDER BY e.stream_pos LIMIT $3`,
      after,
      upTo,
      limit,
    );
    return rows.map((r) => ({
      eventNid: BigInt(r.event_nid),
      streamPos: BigInt(r.stream_pos),
      roomId: r.room_id,
      sender: r.sender,
      ...(r.membership !== null ? { membershipOf: r.state_key ?? '', membership: r.membership } : {}),
    }));
  }

  /** Whether no event of the room comes before this stream position on this server (its state may be outliers). */
  async isFirstInTimeline(roomId: string, streamPos: bigint): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM events e JOIN rooms r ON r.room_nid = e.room_nid WHERE r.room_id = $1 AND e.stream_pos < $2 LIMIT 1`,
      roomId,
      streamPos,
    );
    return rows.length === 0;
  }

  /** Events by their internal IDs, in stream order. */
  async eventsByNid(eventNids: bigint[]): Promise<StoredEvent[]> {
    if (eventNids.length === 0) return [];
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_nid = ANY($1::bigint[]) ORDER BY e.stream_pos`,
      eventNids,
    );
    return rows.map(toStoredEvent);
  }

  /**
   * The servers with at least one joined member in the room; for a room
   * joined with partial state (most members not known yet), also the
   * servers_in_room its resident named.
   */
  async joinedServers(roomId: string): Promise<string[]> {
    return [...((await this.joinedServersOfRooms([roomId])).get(roomId)?.keys() ?? [])];
  }

  /**
   * joinedServers of many rooms in one query: our users' presence goes to the servers of every room they are in,
   * and a user of 10,000 rooms whose rooms' lists were not known cost 10,000 queries (18 s of an initial sync that
   * set them online). Rooms with no joined member are absent. Each server comes with the position from which it
   * has had a member joined, its earliest joined member's membership event's: an event routed late, after a
   * server joined, is not that server's to receive (federation-api's RoomServers). Members in the state this
   * server took in at its own join (outliers, no position), and the servers a partial-state join's resident named,
   * were there before anything this server has of the room. (The event's own position, not the state row's: a
   * partial-state room's completion gives the members it fills in its own position, long after they joined.)
   */
  async joinedServersOfRooms(roomIds: string[]): Promise<Map<string, Map<string, bigint>>> {
    // The servers are told apart in the query: a room of 10,000 local members gives one row, not 10,000 (the
    // federation sender asks at every membership change). A user ID's server name follows its first colon.
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; server: string; since: bigint }>>(
      `SELECT r.room_id, substr(c.user_id, strpos(c.user_id, ':') + 1) AS server, min(coalesce(e.stream_pos, 0)) AS since
         FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid JOIN events e ON e.event_nid = c.event_nid
        WHERE r.room_id = ANY($1::text[]) AND c.membership = 'join' AND strpos(c.user_id, ':') > 0
        GROUP BY 1, 2
       UNION ALL SELECT p.room_id, unnest(p.servers), 0 FROM partial_state_rooms p WHERE p.room_id = ANY($1::text[])`,
      roomIds,
    );
    const servers = new Map<string, Map<string, bigint>>();
    for (const { room_id: roomId, server, since } of rows) {
      let room = servers.get(roomId);
      if (!room) servers.set(roomId, (room = new Map()));
      const known = room.get(server);
      if (known === undefined || BigInt(since) < known) room.set(server, BigInt(since));
    }
    return servers;
  }

  /**
   * Whether a member on one of these servers (lower-case names) is joined: the first one found answers, where
   * joinedServers reads every member (a join to a room of 10,000 asked that of all 10,000).
   */
  async hasJoinedMemberOn(roomId: string, serverNames: string[]): Promise<boolean> {
    const [row] = await this.db.$queryRawUnsafe<Array<{ found: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
        WHERE r.room_id = $1 AND c.membership = 'join'
          AND lower(substr(c.user_id, strpos(c.user_id, ':') + 1)) = ANY($2::text[])) AS found`,
      roomId,
      serverNames,
    );
    return row?.found ?? false;
  }

  /** Whether a room was joined through a partial-state join whose full state is still being fetched. */
  async isPartialState(roomId: string): Promise<boolean> {
    return (
      (await this.db.room.findUnique({ where: { roomId }, select: { isPartialState: true } }))?.isPartialState ?? false
    );
  }

  /** The rooms still waiting for their full state (partial_state_rooms), oldest join first. */
  partialStateRooms(): Promise<Array<{ roomId: string; joinEventId: string; servers: string[] }>> {
    return this.db.partialStateRoom.findMany({
      select: { roomId: true, joinEventId: true, servers: true },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** The events of these IDs that are stored (outliers too), in no particular order. */
  async events(eventIds: string[]): Promise<StoredEvent[]> {
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_id = ANY($1::text[])`,
      eventIds,
    );
    return rows.map(toStoredEvent);
  }

  async event(eventId: string): Promise<StoredEvent | undefined> {
    // server-server-api "Rejection": a rejected event is shown to no one.
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE e.event_id = $1 AND NOT e.is_rejected`,
      eventId,
    );
    return rows[0] && toStoredEvent(rows[0]);
  }

  /**
   * Timeline events of a room by stream position, newest first when
   * `backwards`: (after, upTo] forwards or [.., before) backwards.
   */
  async timeline(
    roomId: string,
    options: { after?: bigint; upTo?: bigint; before?: bigint; limit: number; backwards: boolean },
  ): Promise<StoredEvent[]> {
    const conditions = ['r.room_id = $1', 'e.stream_pos IS NOT NULL'];
    const params: unknown[] = [roomId];
    const add = (sql: string, value: bigint | undefined) => {
      if (value === undefined) return;
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    add('e.stream_pos > ?', options.after);
    add('e.stream_pos <= ?', options.upTo);
    add('e.stream_pos < ?', options.before);
    params.push(options.limit);
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} ${EVENT_JOINS} WHERE ${conditions.join(' AND ')}
       ORDER BY e.stream_pos ${options.backwards ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      ...params,
    );
    return rows.map(toStoredEvent);
  }

  /**
   * timeline() for many rooms in one read: each room's newest `limit`
   * events in (0, upTo], newest first (an initial sync's timelines).
   * History fetched from other servers (positions at or below 0) is left
   * out, as an initial sync leaves it.
   */
  async latestTimelines(roomIds: string[], upTo: bigint, limit: number): Promise<Map<string, StoredEvent[]>> {
    const timelines = new Map<string, StoredEvent[]>(roomIds.map((id) => [id, []]));
    if (roomIds.length === 0) return timelines;
    // Sorted here, room by room, rather than by the database: a sort of every room's events with their JSON spills to disk.
    const rows = await this.db.$queryRawUnsafe<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM unnest($1::text[]) AS q(room_id) JOIN rooms r ON r.room_id = q.room_id
       CROSS JOIN LATERAL (SELECT * FROM events x WHERE x.room_nid = r.room_nid AND x.stream_pos > 0 AND x.stream_pos <= $2 ORDER BY x.stream_pos DESC LIMIT $3) e
       JOIN event_json j ON j.event_nid = e.event_nid`,
      roomIds,
      upTo,
      limit,
    );
    for (const row of rows) timelines.get(row.room_id)!.push(toStoredEvent(row));
    for (const timeline of timelines.values()) timeline.sort((a, b) => byStreamPos(b, a));
    return timelines;
  }

  /** The latest timeline gap (model TimelineGap) in (after, upTo] of each room that has one, by room ID. */
  async latestGaps(after: bigint, upTo: bigint): Promise<Map<string, bigint>> {
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; stream_pos: bigint }>>(
      `SELECT r.room_id, max(g.stream_pos) AS stream_pos FROM timeline_gaps g JOIN rooms r ON r.room_nid = g.room_nid
       WHERE g.stream_pos > $1 AND g.stream_pos <= $2 GROUP BY r.room_id`,
      after,
      upTo,
    );
    return new Map(rows.map((row) => [row.room_id, BigInt(row.stream_pos)]));
  }

  /** The highest committed position of the room-events stream. */
  async maxStreamPos(): Promise<bigint> {
    const row = await this.db.streamPosition.findUnique({ where: { stream: 'events' } });
    return row?.position ?? 0n;
  }

  /**
   * Rooms with an event in (after, upTo], for incremental sync: read by
   * position, so the cost is the number of new events, not of rooms, and
   * the answer is the same for every user. A state change by resolution
   * takes the position of the event whose arrival caused it, so it is
   * covered too.
   */
  async roomsWithEvents(after: bigint, upTo: bigint): Promise<Set<string>> {
    if (upTo <= after) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string }>>(
      `SELECT DISTINCT r.room_id FROM events e JOIN rooms r ON r.room_nid = e.room_nid WHERE e.stream_pos > $1 AND e.stream_pos <= $2`,
      after,
      upTo,
    );
    return new Set(rows.map((r) => r.room_id));
  }

  /** Published rooms of a tenant's directory, with the summary fields /publicRooms returns. */
  async publishedRooms(serverName: string): Promise<string[]> {
    return (await this.db.publishedRoom.findMany({ where: { serverName }, select: { roomId: true } })).map(
      (r) => r.roomId,
    );
  }
}

function byStreamPos(a: StoredEvent, b: StoredEvent): number {
  return a.streamPos < b.streamPos ? -1 : a.streamPos > b.streamPos ? 1 : 0;
}

function toStoredEvent(row: EventRow): StoredEvent {
  const pdu = JSON.parse(row.json) as Pdu;
  return {
    eventId: row.event_id,
    roomId: row.room_id,
    roomVersion: row.room_version,
    pdu: row.redacted_by ? redactEvent(getRoomVersion(row.room_version), pdu) : pdu,
    // Outliers (state taken in when joining through another server) have no stream position: 0 sorts them before everything.
    streamPos: row.stream_pos === null ? 0n : BigInt(row.stream_pos),
    depth: BigInt(row.depth),
    redactedBy: row.redacted_by,
    redactedBecause: row.redaction_json === null ? null : (JSON.parse(row.redaction_json) as Pdu),
    txnId: row.txn_id,
    senderDeviceId: row.sender_device_id,
    ...(row.replaces_state && row.replaced_json
      ? { replaces: replacedEvent(row, row.replaces_state, row.replaced_json) }
      : {}),
  };
}

function replacedEvent(row: EventRow, eventId: string, json: string): { eventId: string; pdu: Pdu } {
  const redacted = json.startsWith('redacted:');
  const pdu = JSON.parse(redacted ? json.slice('redacted:'.length) : json) as Pdu;
  return { eventId, pdu: redacted ? redactEvent(getRoomVersion(row.room_version), pdu) : pdu };
}
