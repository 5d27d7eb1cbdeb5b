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
 * For each asked (user, room) and what is kept of it (the position it was read up to, -1 for nothing, its floors and
 * whether the user was joined): the floors now and, per thread, the unread rows after the kept position when the
 * floors and membership are the same (`added`), else every unread row. The receipts are read once for all pairs; the
 * room floor is the join or the unthreaded receipt, whichever is further, and each thread's receipt is compared with
 * its own rows. Each branch names one index: the added rows' `stream_pos + 0` keeps the planner from ranging over
 * (user, room, stream_pos) there, which would read every unread row again; shared rows are read by (room,
 * notif_pos) and (room, stream_pos) alike. A shared row is left out when the user has a row of their own for its
 * event, which has the same positions, so it is among the own rows read (`own`, however few notify): compared with
 * those, not probed for by the primary key once per shared row. Each pair's join is read by unique keys only (the room, then
 * current_state's (room, m.room.member, user) key), its receipts by hash joins, and only threaded receipts (few)
 * are looked through per pair: read by (user_id, membership), each pair walked all of its user's memberships, so
 * an initial sync of a user in 1,000 rooms made a million probes (1.7 of its 2.2 s).
 */
const COUNTS = `WITH asked AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::boolean[])
      AS a(user_id, room_id, since, floor, thread_floors, joined)),
  reads AS MATERIALIZED (
    SELECT rc.user_id, rc.room_id, rc.thread_id, max(e.stream_pos) AS pos
      FROM receipts rc JOIN events e ON e.event_id = rc.event_id
     WHERE rc.user_id = ANY($1::text[]) AND rc.room_id = ANY($2::text[]) AND rc.receipt_type IN ('m.read', 'm.read.private')
     GROUP BY rc.user_id, rc.room_id, rc.thread_id),
  threaded AS MATERIALIZED (SELECT * FROM reads WHERE thread_id <> ''),
  thread_reads AS (
    SELECT rd.user_id, rd.room_id, string_agg(rd.thread_id || ' ' || rd.pos, ' ' ORDER BY rd.thread_id) AS thread_floors
      FROM threaded rd GROUP BY rd.user_id, rd.room_id),
  floors AS MATERIALIZED (
    SELECT a.user_id, a.room_id, a.since, f.floor, f.joined, COALESCE(t.thread_floors, '') AS thread_floors,
           a.since >= 0 AND a.floor = f.floor AND a.joined = f.joined
             AND a.thread_floors = COALESCE(t.thread_floors, '') AS added
      FROM asked a
      LEFT JOIN reads m ON m.user_id = a.user_id AND m.room_id = a.room_id AND m.thread_id = ''
      LEFT JOIN thread_reads t ON t.user_id = a.user_id AND t.room_id = a.room_id
      LEFT JOIN LATERAL (SELECT cs.stream_pos AS pos FROM rooms r JOIN current_state cs ON cs.room_nid = r.room_nid
                   AND cs.type_nid = (SELECT type_nid FROM event_types WHERE type = 'm.room.member')
                   AND cs.state_key_nid = (SELECT state_key_nid FROM event_state_keys WHERE state_key = a.user_id)
                   WHERE r.room_id = a.room_id AND cs.membership = 'join') j ON true
      CROSS JOIN LATERAL (SELECT GREATEST(COALESCE(j.pos, 0), COALESCE(m.pos, 0)) AS floor, j.pos IS NOT NULL AS joined) f)
  SELECT fl.user_id, fl.room_id, fl.floor, fl.joined, fl.thread_floors, fl.added, c.thread_id, c.notifications,
         c.highlights, (SELECT sp.position FROM stream_positions sp WHERE sp.stream = 'notifications') AS up_to
    FROM floors fl
    LEFT JOIN LATERAL (
      WITH own AS (
        SELECT n.event_id, n.thread_id, n.notify, n.highlight, n.stream_pos FROM event_push_actions n
         WHERE fl.added AND n.user_id = fl.user_id AND n.room_id = fl.room_id AND n.notif_pos > fl.since
           AND n.stream_pos + 0 > fl.floor
        UNION ALL
        SELECT n.event_id, n.thread_id, n.notify, n.highlight, n.stream_pos FROM event_push_actions n
         WHERE NOT fl.added AND n.user_id = fl.user_id AND n.room_id = fl.room_id AND n.stream_pos > fl.floor)
      SELECT n.thread_id, count(*) FILTER (WHERE n.notify)::int AS notifications,
             count(*) FILTER (WHERE n.highlight)::int AS highlights
        FROM (SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM own n WHERE n.notify OR n.highlight
              UNION ALL
              SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM shared_push_actions n
               WHERE fl.added AND fl.joined AND n.room_id = fl.room_id AND n.notif_pos > fl.since
                 AND n.stream_pos + 0 > fl.floor AND n.sender <> fl.user_id
                 AND n.event_id <> ALL (ARRAY(SELECT event_id FROM own))
              UNION ALL
              SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM shared_push_actions n
               WHERE NOT fl.added AND fl.joined AND n.room_id = fl.room_id AND n.stream_pos > fl.floor
                 AND n.sender <> fl.user_id AND n.event_id <> ALL (ARRAY(SELECT event_id FROM own))) n
        LEFT JOIN threaded t ON t.user_id = fl.user_id AND t.room_id = fl.room_id AND t.thread_id = n.thread_id
       WHERE n.stream_pos > COALESCE(t.pos, 0)
       GROUP BY n.thread_id) c ON true`;

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
