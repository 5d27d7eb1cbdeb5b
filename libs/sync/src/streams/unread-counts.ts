import type { UnreadCount } from '@lattice/storage';

interface Counts {
  notification_count: number;
  highlight_count: number;
}

export interface UnreadSection {
  unread_notifications: Counts;
  unread_thread_notifications?: Record<string, Counts>;
}

/**
 * A joined room's unread counts in /sync (client-server-api "Receiving
 * notifications", and "Threaded read receipts"): with the timeline filter's
 * `unread_thread_notifications`, the room's counts are its main timeline's
 * and each thread with unread notifications gets its own; without it, one
 * count for the whole room.
 */
export function unreadSection(counts: UnreadCount[], threaded: boolean): UnreadSection {
  const total = (rows: UnreadCount[]): Counts => ({
    notification_count: rows.reduce((n, r) => n + r.notificationCount, 0),
    highlight_count: rows.reduce((n, r) => n + r.highlightCount, 0),
  });
  if (!threaded) return { unread_notifications: total(counts) };
  const threads = counts.filter((c) => c.threadId !== 'main' && (c.notificationCount > 0 || c.highlightCount > 0));
  return {
    unread_notifications: total(counts.filter((c) => c.threadId === 'main')),
    unread_thread_notifications: Object.fromEntries(threads.map((t) => [t.threadId, total([t])])),
  };
}
