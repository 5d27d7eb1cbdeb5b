import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from './generated/prisma/client';
import { countsAfterRead, KeptUnreadCounts, pairKey, unreadCountsOf, type ReadCounts } from './kept-unread-counts';
import type { UnreadCount } from './notification-counts';
import { PRISMA } from './prisma';

/**
 * (user, room)s whose counts a process keeps: ~10,000 entries are a few MB. The sync workers ask again for the rooms
 * of each answer and the push service for the users it pushes to; an entry evicted costs one count from the floors.
 */
const KEPT_PAIRS = 10_000;

/**
 * Users' unread notifications (rows the push service wrote), per user, room and thread: the rows past the user's
 * floors, as notification-counts.ts's UNREAD says (the join, an m.read or m.read.private receipt,
 * unthreaded for every thread or threaded for its own). A user's rows are their own rows that notify or
 * highlight, and, in a room they are joined to, the shared rows of others' events they have no own row for
 * (SharedPushAction).
 *
 * Counting every unread row at every /sync wake-up cost O(unread rows) each time: a member who sends no receipts
 * has a row for every message since they joined, and the counts were a third of the embedded database's time
 * under the fan-out bench. So each process keeps the counts it read, with the floors they were read above and the
 * notifications stream's position of the snapshot they were read in, and the next read counts only the rows after
 * that position when the floors are the same. Why that is exact:
 * - Every notification row commits with the notifications position allocated in its own statement (the push
 *   service's chunks each allocate theirs), and the allocation locks the stream's row until commit, so positions
 *   commit in order: a snapshot that sees the stream at N sees every row up to N and none after. The rows that are
 *   not in the kept counts are exactly those after their `upTo`, whatever their event's position (an event
 *   evaluated late, by another push replica or again after a crash, is one of them), read by the (user, room,
 *   notif_pos) index.
 * - Rows are never deleted or changed, and whether a row is unread depends only on its event's position and
 *   thread and on the floors. The same floors (compared as read, so a receipt moved back, an event stored late or
 *   a rejoin count too) and the same membership (joined or not) leave every kept row as it was counted. A shared
 *   row and the own rows that take its place for some members commit together (NotificationRecorder).
 * - The floors, the rows and the stream's position are read by one statement, in one snapshot.
 * Anything else (new floors, nothing kept) counts the rows above the floors by the (user, room, stream_pos) index,
 * as before. A receipt after many unread rows costs one such count; it leaves few unread.
 *
 * Nothing here is shared between processes: any number of sync workers and push replicas each keep their own, and
 * a read in flight when a newer one lands does not replace the newer counts.
 */
@Injectable()
export class UnreadCounts {
  private readonly kept = new KeptUnreadCounts(KEPT_PAIRS);

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The counts of each (user, room) asked: its threads with an unread row. */
  async ofRooms(pairs: ReadonlyArray<{ userId: string; roomId: string }>): Promise<UnreadCount[]> {
    const asked = [...new Map(pairs.map((p) => [pairKey(p.userId, p.roomId), p])).values()];
    if (asked.length === 0) return [];
    const kept = asked.map((p) => this.kept.get(p.userId, p.roomId));
    const rows = await this.db.$queryRawUnsafe<CountRow[]>(
      COUNTS,
      asked.map((p) => p.userId),
      asked.map((p) => p.roomId),
      kept.map((k) => k?.upTo ?? -1n),
      kept.map((k) => k?.floor ?? -1n),
      kept.map((k) => k?.threadFloors ?? ''),
      kept.map((k) => k?.joined ?? false),
    );
    // Every pair has a row (one per thread counted, or one without a thread); all have the statement's position.
    const upTo = BigInt(rows[0].up_to ?? 0);
    const reads = new Map<string, ReadCounts>();
    for (const row of rows) {
      const key = pairKey(row.user_id, row.room_id);
      let read = reads.get(key);
      if (!read) {
        read = {
          floor: BigInt(row.floor),
          joined: row.joined,
          threadFloors: row.thread_floors,
          upTo,
          added: row.added,
          threads: new Map(),
        };
        reads.set(key, read);
      }
      if (row.thread_id !== null)
        read.threads.set(row.thread_id, { notifications: row.notifications, highlights: row.highlights });
    }
    return asked.flatMap((p, i) => {
      const counts = countsAfterRead(kept[i], reads.get(pairKey(p.userId, p.roomId))!);
      this.kept.set(p.userId, p.roomId, counts);
      return unreadCountsOf(p.userId, p.roomId, counts);
    });
  }

  /** The counts of every room where the users have notification rows (a badge counts them all). */
  async ofUsers(userIds: readonly string[]): Promise<UnreadCount[]> {
    if (userIds.length === 0) return [];
    const pairs = await this.db.$queryRawUnsafe<Array<{ user_id: string; room_id: string }>>(ROOMS_OF_USERS, [
      ...new Set(userIds),
    ]);
    return this.ofRooms(pairs.map((p) => ({ userId: p.user_id, roomId: p.room_id })));
  }
}

interface CountRow {
  user_id: string;
  room_id: string;
  floor: bigint;
  joined: boolean;
  thread_floors: string;
  added: boolean;
  thread_id: string | null;
  notifications: number;
  highlights: number;
  up_to: bigint | null;
}

/**
 * For each asked (user, room) and what is kept of it, the floors now and the unread rows per thread: the function
 * of migration 20261215100000_unread_counts_function, which says how it reads them and why it is a function (its
 * plan is made once per session).
 */
const COUNTS = `SELECT * FROM lattice_unread_counts($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::boolean[])`;

/**
 * The rooms where each user has unread-count rows: those with rows of their own, one index probe per room (the
 * (user, room, stream_pos) index, skipping from each room to the next) rather than a read of every row, and the
 * rooms they are joined to with a shared row after their join.
 */
const ROOMS_OF_USERS = `WITH RECURSIVE own_rooms AS (
    SELECT u.user_id, (SELECT min(n.room_id) FROM event_push_actions n WHERE n.user_id = u.user_id) AS room_id
      FROM unnest($1::text[]) AS u(user_id)
    UNION ALL
    SELECT r.user_id, (SELECT min(n.room_id) FROM event_push_actions n WHERE n.user_id = r.user_id AND n.room_id > r.room_id)
      FROM own_rooms r WHERE r.room_id IS NOT NULL)
  SELECT user_id, room_id FROM own_rooms WHERE room_id IS NOT NULL
  UNION
  SELECT cs.user_id, r.room_id FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
   WHERE cs.user_id = ANY($1::text[]) AND cs.membership = 'join'
     AND EXISTS (SELECT 1 FROM shared_push_actions n WHERE n.room_id = r.room_id AND n.stream_pos > cs.stream_pos)`;
