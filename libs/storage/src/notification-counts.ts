import type { Prisma } from './generated/prisma/client';

/** Unread notifications of one thread ("main" for the main timeline) of a room. */
export interface UnreadCount {
  userId: string;
  roomId: string;
  threadId: string;
  notificationCount: number;
  highlightCount: number;
}

/** One event a user was notified of (GET /notifications). */
export interface NotifiedEvent {
  eventId: string;
  roomId: string;
  streamPos: bigint;
  actions: string;
  ts: bigint;
  read: boolean;
}

/**
 * SQL condition: the notification row `n` is past the read receipts of the user $1 (UnreadCounts reads the same
 * floors its own way). An m.read or m.read.private receipt counts, whichever is further
 * ahead (client-server-api "Marking notifications as read"); an unthreaded receipt clears every thread up to its
 * event, a threaded one its own thread (the main timeline is the thread "main"). A member who has sent no receipt
 * since joining has read up to their join, as in Synapse: the invite that brought them in is not unread in the room
 * they joined.
 */
const UNREAD = `n.stream_pos > COALESCE((
    SELECT max(e.stream_pos) FROM receipts rc JOIN events e ON e.event_id = rc.event_id
     WHERE rc.room_id = n.room_id AND rc.user_id = $1 AND rc.receipt_type IN ('m.read', 'm.read.private')
       AND (rc.thread_id = '' OR rc.thread_id = n.thread_id)), 0)
  AND n.stream_pos > COALESCE((
    SELECT cs.stream_pos FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
     WHERE r.room_id = n.room_id AND cs.user_id = $1 AND cs.membership = 'join'), 0)`;

/** The columns of a notification row that event_push_actions and shared_push_actions have alike. */
const NOTIFICATION_COLUMNS = 'n.event_id, n.room_id, n.stream_pos, n.thread_id, n.notify, n.highlight, n.actions, n.ts';

/**
 * The rows that are the user $1's notifications: their own rows that notify or highlight (EventPushAction), and the
 * shared rows (SharedPushAction) of others' events in the rooms they are joined to, after their join, that they have
 * no own row for. `condition` narrows both.
 */
function notificationRowsOf(condition: string): string {
  return `SELECT ${NOTIFICATION_COLUMNS} FROM event_push_actions n
     WHERE n.user_id = $1 AND (n.notify OR n.highlight) AND ${condition}
    UNION ALL
    SELECT ${NOTIFICATION_COLUMNS} FROM current_state cs JOIN rooms r ON r.room_nid = cs.room_nid
      JOIN shared_push_actions n ON n.room_id = r.room_id AND n.stream_pos > cs.stream_pos
     WHERE cs.user_id = $1 AND cs.membership = 'join' AND n.sender <> $1 AND ${condition}
       AND NOT EXISTS (SELECT 1 FROM event_push_actions o WHERE o.user_id = $1 AND o.event_id = n.event_id)`;
}

/**
 * The events the user was notified of, newest first: `limit` of them before the event position `before` (all when
 * undefined), only those that highlight when asked, each with whether a read receipt has passed it.
 */
export async function notifiedEvents(
  db: Prisma.TransactionClient,
  userId: string,
  page: { before?: bigint; onlyHighlights: boolean; limit: number },
): Promise<NotifiedEvent[]> {
  const rows = await db.$queryRawUnsafe<
    Array<{ event_id: string; room_id: string; stream_pos: bigint; actions: string; ts: bigint; unread: boolean }>
  >(
    `SELECT n.event_id, n.room_id, n.stream_pos, n.actions, n.ts, ${UNREAD} AS unread
       FROM (${notificationRowsOf('($2::bigint IS NULL OR n.stream_pos < $2) AND (n.highlight OR NOT $3)')}) n
      ORDER BY n.stream_pos DESC LIMIT $4`,
    userId,
    page.before ?? null,
    page.onlyHighlights,
    page.limit,
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    roomId: r.room_id,
    streamPos: BigInt(r.stream_pos),
    actions: r.actions,
    ts: BigInt(r.ts),
    read: !r.unread,
  }));
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
  // The shared rows in the range are matched to the users asked who are joined to their rooms (before the row's
  // event, and not its sender), by each (room, user)'s membership key: once per room, not per row. Each part is
  // planned apart (MATERIALIZED): planned as one, a range misestimated (statistics from when the table was small)
  // probed every member of a room once per row (1,400 probes for 70 rows, 6.9 ms, in the fan-out bench).
  const rows = await db.$queryRawUnsafe<Array<{ user_id: string; room_id: string; notif_pos: bigint }>>(
    `WITH shared AS MATERIALIZED (
       SELECT n.room_id, n.notif_pos, n.sender, n.stream_pos FROM shared_push_actions n
        WHERE n.notif_pos > $2 AND n.notif_pos <= $3),
     members AS MATERIALIZED (
       SELECT k.state_key AS user_id, r.room_id, cs.stream_pos
         FROM (SELECT DISTINCT room_id FROM shared) s JOIN rooms r ON r.room_id = s.room_id
         JOIN event_state_keys k ON k.state_key = ANY($1::text[])
         JOIN current_state cs ON cs.room_nid = r.room_nid AND cs.state_key_nid = k.state_key_nid
          AND cs.type_nid = (SELECT type_nid FROM event_types WHERE type = 'm.room.member')
        WHERE cs.membership = 'join')
     SELECT n.user_id, n.room_id, n.notif_pos FROM event_push_actions n
      WHERE n.user_id = ANY($1::text[]) AND n.notif_pos > $2 AND n.notif_pos <= $3
     UNION ALL
     SELECT m.user_id, n.room_id, n.notif_pos FROM shared n JOIN members m ON m.room_id = n.room_id
      WHERE m.stream_pos < n.stream_pos AND n.sender <> m.user_id`,
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
