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
 * receipts (UnreadCounts reads the same floors its own way). An m.read or
 * m.read.private receipt counts, whichever is further ahead (client-server-api "Marking notifications as read"); an
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
