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

  /** membershipChanges() of many viewers, each over their own range, in one read; answers in the order asked. */
  async membershipChangesOf(
    ranges: Array<{ viewer: string; after: bigint; upTo: bigint }>,
  ): Promise<MembershipChange[][]> {
    const changes = ranges.map((): MembershipChange[] => []);
    const asked = ranges.flatMap((r, i) => (r.upTo > r.after ? [{ ...r, i }] : []));
    if (asked.length === 0) return changes;
    const rows = await this.db.$queryRawUnsafe<
      Array<{ i: number; room_id: string; user_id: string; membership: string | null }>
    >(
      `SELECT q.i, r.room_id, k.state_key AS user_id, j.json::jsonb -> 'content' ->> 'membership' AS membership
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[]) AS q(viewer, after, up_to, i)
       JOIN events e ON e.stream_pos > q.after AND e.stream_pos <= q.up_to
         AND e.room_nid IN (SELECT room_nid FROM current_state WHERE user_id = q.viewer)
       JOIN rooms r ON r.room_nid = e.room_nid
       JOIN event_types t ON t.type_nid = e.type_nid
       JOIN event_state_keys k ON k.state_key_nid = e.state_key_nid
       JOIN event_json j ON j.event_nid = e.event_nid
       WHERE t.type = 'm.room.member' AND NOT e.is_rejected
       ORDER BY q.i, e.stream_pos`,
      asked.map((r) => r.viewer),
      asked.map((r) => r.after),
      asked.map((r) => r.upTo),
      asked.map((r) => r.i),
    );
    for (const r of rows)
      changes[Number(r.i)].push({ roomId: r.room_id, userId: r.user_id, membership: r.membership ?? '' });
    return changes;
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
