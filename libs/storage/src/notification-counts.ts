import type { Prisma } from './generated/prisma/client';

/** Unread notifications of one thread ("main" for the main timeline) of a room. */
export interface UnreadCount {
  userId: string;
  roomId: string;
  threadId: string;
  notificationCount: number;
  highlightCount: number;
}

/**
 * SQL condition: the event_push_actions row `n` is past its user's read
 * receipts. An m.read or m.read.private receipt counts, whichever is
 * further ahead (client-server-api "Marking notifications as read"); an
 * unthreaded receipt clears every thread up to its event, a threaded one
 * its own thread (the main timeline is the thread "main"). A member who has
 * sent no receipt since joining has read up to their join, as in Synapse:
 * the invite that brought them in is not unread in the room they joined.
 */
const UNREAD = `n.stream_pos > COALESCE((
    SELECT max(e.stream_pos) FROM receipts rc JOIN events e ON e.event_id = rc.event_id
     WHERE rc.room_id = n.room_id AND rc.user_id = n.user_id AND rc.receipt_type IN ('m.read', 'm.read.private')
       AND (rc.thread_id = '' OR rc.thread_id = n.thread_id)), 0)
  AND n.stream_pos > COALESCE((
    SELECT cs.stream_pos FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
     WHERE r.room_id = n.room_id AND cs.user_id = n.user_id AND cs.membership = 'join'), 0)`;

/**
 * Users' unread notifications (rows the push service wrote), per user, room and thread; in all rooms when `roomIds`
 * is not given. The rows UNREAD keeps, found another way: UNREAD's floors (the join, the receipts) are read once per
 * (user, room) and once per thread, then each (user, room)'s rows above its floor are read by range from the index
 * on (user, room, position). UNREAD's two lookups per row were most of an embedded /sync answer's cost under load:
 * a member who sends no receipts has a row for every message since they joined (200 rows each 1,000 messages
 * into the fan-out bench: ~1 s of PGlite time for the 20 members one message wakes, 0.1 s this way). The LATERAL
 * joins keep that plan whatever the planner guesses of the pairs: joined as sets, PGlite chose a worse one on small
 * tables.
 */
export async function unreadNotificationCounts(
  db: Prisma.TransactionClient,
  userIds: string[],
  roomIds?: string[],
): Promise<UnreadCount[]> {
  if (userIds.length === 0) return [];
  const inRooms = roomIds ? 'AND rc.room_id = ANY($2::text[])' : '';
  const rows = await db.$queryRawUnsafe<
    Array<{ user_id: string; room_id: string; thread_id: string; notifications: number; highlights: number }>
  >(
    `WITH pairs AS (${
      roomIds
        ? 'SELECT u.user_id, rm.room_id FROM unnest($1::text[]) AS u(user_id) CROSS JOIN unnest($2::text[]) AS rm(room_id)'
        : 'SELECT DISTINCT n.user_id, n.room_id FROM event_push_actions n WHERE n.user_id = ANY($1::text[])'
    }),
     reads AS MATERIALIZED (
       SELECT rc.user_id, rc.room_id, rc.thread_id, max(e.stream_pos) AS pos
         FROM receipts rc JOIN events e ON e.event_id = rc.event_id
        WHERE rc.user_id = ANY($1::text[]) ${inRooms} AND rc.receipt_type IN ('m.read', 'm.read.private')
        GROUP BY rc.user_id, rc.room_id, rc.thread_id)
     SELECT f.user_id, f.room_id, n.thread_id, count(*) FILTER (WHERE n.notify)::int AS notifications, count(*) FILTER (WHERE n.highlight)::int AS highlights
       FROM pairs p
       CROSS JOIN LATERAL (
         SELECT p.user_id, p.room_id, GREATEST(
           COALESCE((SELECT cs.stream_pos FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
                      WHERE r.room_id = p.room_id AND cs.user_id = p.user_id AND cs.membership = 'join'), 0),
           COALESCE((SELECT rd.pos FROM reads rd WHERE rd.user_id = p.user_id AND rd.room_id = p.room_id AND rd.thread_id = ''), 0)
         ) AS floor) f
       JOIN LATERAL (
         SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM event_push_actions n
          WHERE n.user_id = f.user_id AND n.room_id = f.room_id AND n.stream_pos > f.floor) n ON true
       LEFT JOIN reads t ON t.user_id = f.user_id AND t.room_id = f.room_id AND t.thread_id = n.thread_id AND t.thread_id <> ''
      WHERE n.stream_pos > COALESCE(t.pos, 0)
      GROUP BY f.user_id, f.room_id, n.thread_id`,
    userIds,
    ...(roomIds ? [roomIds] : []),
  );
  return rows.map((r) => ({
    userId: r.user_id,
    roomId: r.room_id,
    threadId: r.thread_id,
    notificationCount: r.notifications,
    highlightCount: r.highlights,
  }));
}

/** Which of the given notified events the user has not read yet. */
export async function unreadNotifiedEvents(
  db: Prisma.TransactionClient,
  userId: string,
  eventIds: string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await db.$queryRawUnsafe<Array<{ event_id: string }>>(
    `SELECT n.event_id FROM event_push_actions n WHERE n.user_id = $1 AND n.event_id = ANY($2::text[]) AND ${UNREAD}`,
    userId,
    eventIds,
  );
  return new Set(rows.map((r) => r.event_id));
}

/**
 * For each user, the rooms where the push service wrote notification rows
 * for them with a notifications position in (after, upTo]: their counts
 * changed there. One read for many users; answers in the order asked.
 */
export async function roomsWithNewNotifications(
  db: Prisma.TransactionClient,
  ranges: Array<{ userId: string; after: bigint; upTo: bigint }>,
): Promise<Array<Set<string>>> {
  const rooms = ranges.map(() => new Set<string>());
  const asked = ranges.flatMap((r, i) => (r.upTo > r.after ? [{ ...r, i }] : []));
  if (asked.length === 0) return rooms;
  // One range over every user's (the index on user and position serves it), each user's own range applied here.
  const rows = await db.$queryRawUnsafe<Array<{ user_id: string; room_id: string; notif_pos: bigint }>>(
    `SELECT n.user_id, n.room_id, n.notif_pos FROM event_push_actions n
      WHERE n.user_id = ANY($1::text[]) AND n.notif_pos > $2 AND n.notif_pos <= $3`,
    [...new Set(asked.map((r) => r.userId))],
    asked.reduce((min, r) => (r.after < min ? r.after : min), asked[0].after),
    asked.reduce((max, r) => (r.upTo > max ? r.upTo : max), asked[0].upTo),
  );
  for (const r of asked)
    for (const row of rows)
      if (row.user_id === r.userId && BigInt(row.notif_pos) > r.after && BigInt(row.notif_pos) <= r.upTo)
        rooms[r.i].add(row.room_id);
  return rooms;
}
