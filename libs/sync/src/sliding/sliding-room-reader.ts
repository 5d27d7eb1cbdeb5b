import { Inject, Injectable } from '@nestjs/common';
import { stripEvent, type JsonObject, type Pdu } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** One of the user's rooms, as the room list sees it. */
export interface MembershipRow {
  roomId: string;
  membership: string;
  /** Position of the user's membership event. */
  membershipPos: bigint;
  /** Who set it: a `leave` by someone else is a kick. */
  membershipSender: string;
  /** Position of the room's last event (joined rooms), else the membership's. */
  activity: bigint;
  encrypted: boolean;
  roomType: string | null;
  /** The invite's stripped state, for a room of another server this server is not in. */
  remoteInviteState?: JsonObject[];
}

export interface Hero {
  user_id: string;
  displayname?: string;
  avatar_url?: string;
}

/**
 * MSC4186 "bump_stamp": the event types that count as "proper" activity
 * in a room.
 */
export const BUMP_EVENT_TYPES = [
  'm.room.create',
  'm.room.message',
  'm.room.encrypted',
  'm.sticker',
  'm.call.invite',
  'm.poll.start',
  'm.beacon_info',
];
/** client-server-api /sync `m.heroes`: up to 5 members. */
const HEROES = 5;

/** A member heroes may name, and whether they are in the room now (joined or invited). */
export interface HeroCandidate {
  hero: Hero;
  current: boolean;
}

/** The heroes of a room for one user, from its candidates (heroCandidates): never the user, members now before those gone. */
export function heroesFor(candidates: HeroCandidate[], userId: string): Hero[] {
  const others = candidates.filter((c) => c.hero.user_id !== userId).slice(0, HEROES);
  const current = others.filter((c) => c.current);
  return (current.length ? current : others).map((c) => c.hero);
}

/**
 * The reads sliding sync makes in bulk over many rooms, so a response costs
 * a few statements however many rooms the user is in: the room list with
 * what its filters need, member counts, bump stamps and heroes.
 */
@Injectable()
export class SlidingRoomReader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /**
   * The rooms of this server the user has a membership of (of `onlyRooms`, when given); the room's last
   * event position comes from the (room, position) index.
   */
  async localMemberships(userId: string, withRoomTypes: boolean, onlyRooms?: string[]): Promise<MembershipRow[]> {
    const rows = await this.db.$queryRawUnsafe<
      Array<{
        room_id: string;
        membership: string;
        membership_pos: bigint;
        sender: string;
        activity: bigint | null;
        encrypted: boolean;
        room_type: string | null;
      }>
    >(
      `WITH t AS (SELECT (SELECT type_nid FROM event_types WHERE type = 'm.room.encryption') AS encryption,
                         (SELECT type_nid FROM event_types WHERE type = 'm.room.create') AS create_type,
                         (SELECT state_key_nid FROM event_state_keys WHERE state_key = '') AS empty_key)
       SELECT r.room_id, c.membership, c.stream_pos AS membership_pos, me.sender,
         CASE WHEN c.membership = 'join' THEN (SELECT max(x.stream_pos) FROM events x WHERE x.room_nid = c.room_nid) ELSE c.stream_pos END AS activity,
         enc.room_nid IS NOT NULL AS encrypted,
         ${withRoomTypes ? `(SELECT j.json::jsonb -> 'content' ->> 'type' FROM current_state s JOIN event_json j ON j.event_nid = s.event_nid WHERE s.room_nid = c.room_nid AND s.type_nid = t.create_type AND s.state_key_nid = t.empty_key)` : 'NULL'} AS room_type
       FROM t CROSS JOIN current_state c JOIN rooms r ON r.room_nid = c.room_nid JOIN events me ON me.event_nid = c.event_nid
       -- A join on the primary key, not EXISTS: for EXISTS the planner chose a hashed scan of all of current_state.
       LEFT JOIN current_state enc ON enc.room_nid = c.room_nid AND enc.type_nid = t.encryption AND enc.state_key_nid = t.empty_key
       WHERE c.user_id = $1 AND c.membership IS NOT NULL ${onlyRooms ? 'AND r.room_id = ANY($2::text[])' : ''}`,
      userId,
      ...(onlyRooms ? [onlyRooms] : []),
    );
    return rows.map((r) => ({
      roomId: r.room_id,
      membership: r.membership,
      membershipPos: BigInt(r.membership_pos),
      membershipSender: r.sender,
      activity: BigInt(r.activity ?? r.membership_pos),
      encrypted: r.encrypted,
      roomType: r.room_type,
    }));
  }

  /** Invites to rooms this server is not in: what the room is comes from the stripped state the inviter sent. */
  async remoteInvites(userId: string): Promise<MembershipRow[]> {
    const rows = await this.db.$queryRawUnsafe<
      Array<{ room_id: string; stream_pos: bigint; event: string; invite_room_state: string }>
    >(
      `SELECT i.room_id, i.stream_pos, i.event, i.invite_room_state FROM remote_invites i
       WHERE i.user_id = $1 AND i.membership = 'invite'`,
      userId,
    );
    return rows.map((r) => {
      const invite = JSON.parse(r.event) as Pdu;
      const stripped = (JSON.parse(r.invite_room_state) as Pdu[]).map(stripEvent) as unknown as JsonObject[];
      const create = stripped.find((e) => e.type === 'm.room.create');
      const roomType = (create?.content as JsonObject | undefined)?.type;
      return {
        roomId: r.room_id,
        membership: 'invite',
        membershipPos: BigInt(r.stream_pos),
        membershipSender: invite.sender,
        activity: BigInt(r.stream_pos),
        encrypted: stripped.some((e) => e.type === 'm.room.encryption'),
        roomType: typeof roomType === 'string' ? roomType : null,
        remoteInviteState: [...stripped, stripEvent(invite) as unknown as JsonObject],
      };
    });
  }

  /** Joined and invited member counts per room. */
  async memberCounts(roomIds: string[]): Promise<Map<string, { joined: number; invited: number }>> {
    const counts = new Map(roomIds.map((id) => [id, { joined: 0, invited: 0 }]));
    if (roomIds.length === 0) return counts;
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; membership: string; n: bigint }>>(
      `SELECT r.room_id, c.membership, count(*) AS n FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
       WHERE r.room_id = ANY($1::text[]) AND c.membership IN ('join', 'invite') GROUP BY r.room_id, c.membership`,
      roomIds,
    );
    for (const row of rows) {
      const entry = counts.get(row.room_id)!;
      if (row.membership === 'join') entry.joined = Number(row.n);
      else entry.invited = Number(row.n);
    }
    return counts;
  }

  /** Rooms of `roomIds` with a non-empty m.room.name or canonical alias: /sync gives heroes for the others. */
  async namedRooms(roomIds: string[]): Promise<Set<string>> {
    if (roomIds.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string }>>(
      `SELECT DISTINCT r.room_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
       JOIN event_types t ON t.type_nid = c.type_nid JOIN event_state_keys k ON k.state_key_nid = c.state_key_nid
       JOIN event_json j ON j.event_nid = c.event_nid
       WHERE r.room_id = ANY($1::text[]) AND k.state_key = ''
         AND ((t.type = 'm.room.name' AND coalesce(j.json::jsonb -> 'content' ->> 'name', '') <> '')
           OR (t.type = 'm.room.canonical_alias' AND coalesce(j.json::jsonb -> 'content' ->> 'alias', '') <> ''))`,
      roomIds,
    );
    return new Set(rows.map((r) => r.room_id));
  }

  /** MSC4186 `bump_stamp`: the position of each room's last event of a bump type, at or before `upTo`. */
  async bumpStamps(roomIds: string[], upTo: bigint): Promise<Map<string, bigint>> {
    if (roomIds.length === 0) return new Map();
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; stream_pos: bigint | null }>>(
      `SELECT r.room_id, last.stream_pos FROM rooms r, LATERAL (
         SELECT e.stream_pos FROM events e WHERE e.room_nid = r.room_nid AND e.stream_pos <= $2 AND e.stream_pos > 0
           AND e.type_nid IN (SELECT type_nid FROM event_types WHERE type = ANY($3::text[]))
         ORDER BY e.stream_pos DESC LIMIT 1) last
       WHERE r.room_id = ANY($1::text[])`,
      roomIds,
      upTo,
      BUMP_EVENT_TYPES,
    );
    return new Map(rows.filter((r) => r.stream_pos !== null).map((r) => [r.room_id, BigInt(r.stream_pos!)]));
  }

  /**
   * client-server-api /sync `m.heroes`: the first members (joined or
   * invited, else left or banned) by the order they arrived, never the user
   * asking, with the display name and avatar of their member events.
   */
  async heroes(roomId: string, userId: string): Promise<Hero[]> {
    return heroesFor((await this.heroCandidates([roomId])).get(roomId)!, userId);
  }

  /**
   * What heroes() picks from, for many rooms in one read and the same for every user: each room's first HEROES + 1
   * members in hero order, so that leaving out whoever asks still leaves HEROES.
   */
  async heroCandidates(roomIds: string[]): Promise<Map<string, HeroCandidate[]>> {
    const candidates = new Map(roomIds.map((id) => [id, [] as HeroCandidate[]]));
    if (roomIds.length === 0) return candidates;
    const rows = await this.db.$queryRawUnsafe<
      Array<{ room_id: string; user_id: string; json: string; current: boolean }>
    >(
      `SELECT r.room_id, h.user_id, h.json, h.current FROM rooms r CROSS JOIN LATERAL (
         SELECT c.user_id, j.json, c.membership IN ('join', 'invite') AS current, c.stream_pos FROM current_state c
         JOIN event_json j ON j.event_nid = c.event_nid
         WHERE c.room_nid = r.room_nid AND c.user_id IS NOT NULL AND c.membership IN ('join', 'invite', 'leave', 'ban')
         ORDER BY c.membership IN ('join', 'invite') DESC, c.stream_pos LIMIT $2) h
       WHERE r.room_id = ANY($1::text[]) ORDER BY r.room_id, h.current DESC, h.stream_pos`,
      [...new Set(roomIds)],
      HEROES + 1,
    );
    for (const r of rows) {
      const content = (JSON.parse(r.json) as Pdu).content;
      candidates.get(r.room_id)?.push({
        current: r.current,
        hero: {
          user_id: r.user_id,
          ...(typeof content.displayname === 'string' ? { displayname: content.displayname } : {}),
          ...(typeof content.avatar_url === 'string' ? { avatar_url: content.avatar_url } : {}),
        },
      });
    }
    return candidates;
  }

  /** Rooms a joined space lists as children (m.space.child with a non-empty `via`). */
  async spaceChildren(spaceIds: string[], userId: string): Promise<Set<string>> {
    if (spaceIds.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ state_key: string; json: string }>>(
      `SELECT k.state_key, j.json FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid
       JOIN event_types t ON t.type_nid = c.type_nid JOIN event_state_keys k ON k.state_key_nid = c.state_key_nid JOIN event_json j ON j.event_nid = c.event_nid
       WHERE r.room_id = ANY($1::text[]) AND t.type = 'm.space.child'
         AND EXISTS (SELECT 1 FROM current_state m WHERE m.room_nid = c.room_nid AND m.user_id = $2 AND m.membership = 'join')`,
      spaceIds,
      userId,
    );
    return new Set(
      rows
        .filter((r) => {
          const via = (JSON.parse(r.json) as Pdu).content.via;
          return Array.isArray(via) && via.length > 0;
        })
        .map((r) => r.state_key),
    );
  }
}

/**
 * The user's rooms from both sources: a room this server was in before keeps its old state here, so an
 * invite kept apart since (`remote`) is newer than the local membership it supersedes, and the other way
 * round.
 */
export function withRemoteInvites(local: MembershipRow[], remote: MembershipRow[]): MembershipRow[] {
  if (remote.length === 0) return local;
  const newerInvite = new Map(remote.map((i) => [i.roomId, i.membershipPos]));
  const current = local.filter((m) => !(m.membershipPos < (newerInvite.get(m.roomId) ?? -1n)));
  const currentPos = new Map(current.map((m) => [m.roomId, m.membershipPos]));
  return [...current, ...remote.filter((i) => !(i.membershipPos < (currentPos.get(i.roomId) ?? -1n)))];
}
