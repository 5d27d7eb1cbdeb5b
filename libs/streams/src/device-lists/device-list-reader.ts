import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { deviceListCandidates, roomsViewerMoved, settleDeviceLists, type MembershipChange } from './device-list-delta';

/** Positions of the two streams device lists depend on: room events (memberships) and device-list changes. */
export interface DeviceListRange {
  events: { after: bigint; upTo: bigint };
  deviceLists: { after: bigint; upTo: bigint };
}

/**
 * /sync `device_lists` and /keys/changes: which users' device lists a user
 * should fetch again, and which it can stop tracking, between two positions.
 */
@Injectable()
export class DeviceListReader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** `memberships`: membershipChanges over the same events range, when the caller has read them already. */
  async changes(
    viewer: string,
    range: DeviceListRange,
    memberships?: MembershipChange[],
  ): Promise<{ changed: string[]; left: string[] }> {
    const keyChanges =
      range.deviceLists.upTo > range.deviceLists.after
        ? await this.db.deviceListChange.findMany({
            where: { streamPos: { gt: range.deviceLists.after, lte: range.deviceLists.upTo } },
            distinct: ['userId'],
            select: { userId: true },
          })
        : [];
    const moves = memberships ?? (await this.membershipChanges(viewer, range.events.after, range.events.upTo));
    const membersOf = await this.joinedMembers(roomsViewerMoved(viewer, moves));
    const candidates = deviceListCandidates(
      viewer,
      keyChanges.map((k) => k.userId),
      moves,
      membersOf,
    );
    const sharing = await this.sharingARoom(viewer, [...candidates.changed, ...candidates.left]);
    return settleDeviceLists(viewer, candidates, sharing);
  }

  /** Membership events in (after, upTo] of every room the viewer is or was in. */
  async membershipChanges(viewer: string, after: bigint, upTo: bigint): Promise<MembershipChange[]> {
    return (await this.membershipChangesOf([{ viewer, after, upTo }]))[0];
  }

  /**
   * membershipChanges() of many viewers, each over their own range, in two reads whatever their number: the
   * membership events of the widest range (few: most events are not memberships), then which of their rooms
   * each viewer is or was in. Answers in the order asked.
   */
  async membershipChangesOf(
    ranges: Array<{ viewer: string; after: bigint; upTo: bigint }>,
  ): Promise<MembershipChange[][]> {
    const asked = ranges.filter((r) => r.upTo > r.after);
    if (asked.length === 0) return ranges.map(() => []);
    const events = await this.db.$queryRawUnsafe<
      Array<{ stream_pos: bigint; room_nid: number; room_id: string; user_id: string; membership: string | null }>
    >(
      `SELECT e.stream_pos, e.room_nid, r.room_id, k.state_key AS user_id, j.json::jsonb -> 'content' ->> 'membership' AS membership
       FROM events e
       JOIN rooms r ON r.room_nid = e.room_nid
       JOIN event_types t ON t.type_nid = e.type_nid
       JOIN event_state_keys k ON k.state_key_nid = e.state_key_nid
       JOIN event_json j ON j.event_nid = e.event_nid
       WHERE t.type = 'm.room.member' AND NOT e.is_rejected AND e.stream_pos > $1 AND e.stream_pos <= $2
       ORDER BY e.stream_pos`,
      asked.reduce((min, r) => (r.after < min ? r.after : min), asked[0].after),
      asked.reduce((max, r) => (r.upTo > max ? r.upTo : max), asked[0].upTo),
    );
    const viewersIn =
      events.length === 0
        ? []
        : await this.db.$queryRawUnsafe<Array<{ user_id: string; room_nid: number }>>(
            `SELECT DISTINCT user_id, room_nid FROM current_state WHERE user_id = ANY($1::text[]) AND room_nid = ANY($2::int[])`,
            [...new Set(asked.map((r) => r.viewer))],
            [...new Set(events.map((e) => Number(e.room_nid)))],
          );
    const inRoom = new Set(viewersIn.map((v) => `${Number(v.room_nid)} ${v.user_id}`));
    return ranges.map(({ viewer, after, upTo }) =>
      events
        .filter((e) => BigInt(e.stream_pos) > after && BigInt(e.stream_pos) <= upTo)
        .filter((e) => inRoom.has(`${Number(e.room_nid)} ${viewer}`))
        .map((e) => ({ roomId: e.room_id, userId: e.user_id, membership: e.membership ?? '' })),
    );
  }

  private async joinedMembers(roomIds: string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>();
    if (roomIds.length === 0) return members;
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; user_id: string }>>(
      `SELECT r.room_id, c.user_id FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = ANY($1::text[]) AND c.membership = 'join'`,
      roomIds,
    );
    for (const r of rows) members.set(r.room_id, [...(members.get(r.room_id) ?? []), r.user_id]);
    return members;
  }

  /** Those of `users` who share a joined room with the viewer now. */
  private async sharingARoom(viewer: string, users: string[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ user_id: string }>>(
      `SELECT DISTINCT theirs.user_id FROM current_state mine
       JOIN current_state theirs ON theirs.room_nid = mine.room_nid AND theirs.membership = 'join'
       WHERE mine.user_id = $1 AND mine.membership = 'join' AND theirs.user_id = ANY($2::text[])`,
      viewer,
      [...new Set(users)],
    );
    return new Set(rows.map((r) => r.user_id));
  }
}
