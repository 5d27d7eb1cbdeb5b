import type { UnreadCount } from './notification-counts';

/** A thread's unread notification rows: how many notify, how many highlight. */
export interface ThreadCounts {
  notifications: number;
  highlights: number;
}

/**
 * A (user, room)'s unread counts as of a snapshot: per thread, the rows up to `upTo` (the notifications stream's
 * position in that snapshot) above the floors they were counted with. Never changed once made: a read in flight
 * keeps the one it started from.
 */
export interface KeptCounts {
  /** The join or the unthreaded receipt, whichever is further. */
  floor: bigint;
  /** Whether the user was joined: shared rows count only then. */
  joined: boolean;
  /** Each threaded receipt's position, as the counting statement lists them. */
  threadFloors: string;
  upTo: bigint;
  threads: ReadonlyMap<string, ThreadCounts>;
}

/** What the counting statement read of a (user, room): its floors, and the rows it counted per thread. */
export interface ReadCounts {
  floor: bigint;
  joined: boolean;
  threadFloors: string;
  upTo: bigint;
  /** Only the rows after `kept.upTo` were counted: the kept counts still hold and these add to them. */
  added: boolean;
  threads: Map<string, ThreadCounts>;
}

/** The counts a read makes of the kept ones: added to them, or in their place when it counted everything. */
export function countsAfterRead(kept: KeptCounts | undefined, read: ReadCounts): KeptCounts {
  const threads = new Map(read.added && kept ? kept.threads : []);
  for (const [threadId, counted] of read.threads) {
    const before = threads.get(threadId) ?? { notifications: 0, highlights: 0 };
    threads.set(threadId, {
      notifications: before.notifications + counted.notifications,
      highlights: before.highlights + counted.highlights,
    });
  }
  return { floor: read.floor, joined: read.joined, threadFloors: read.threadFloors, upTo: read.upTo, threads };
}

/** A (user, room)'s counts as callers get them: each thread with a row unread (every row counted notifies or highlights). */
export function unreadCountsOf(userId: string, roomId: string, kept: KeptCounts): UnreadCount[] {
  return [...kept.threads]
    .filter(([, c]) => c.notifications > 0 || c.highlights > 0)
    .map(([threadId, c]) => ({
      userId,
      roomId,
      threadId,
      notificationCount: c.notifications,
      highlightCount: c.highlights,
    }));
}

/**
 * The most recently used counts, at most `capacity` (user, room)s. A newer read replaces an entry, an older one
 * finishing later does not.
 */
export class KeptUnreadCounts {
  private readonly entries = new Map<string, KeptCounts>();

  constructor(private readonly capacity: number) {}

  get(userId: string, roomId: string): KeptCounts | undefined {
    const key = pairKey(userId, roomId);
    const kept = this.entries.get(key);
    if (kept) {
      // Map keeps insertion order: moving a used entry to the end makes the first one the least recently used.
      this.entries.delete(key);
      this.entries.set(key, kept);
    }
    return kept;
  }

  set(userId: string, roomId: string, counts: KeptCounts): void {
    const key = pairKey(userId, roomId);
    const kept = this.entries.get(key);
    if (kept && kept.upTo > counts.upTo) return;
    this.entries.delete(key);
    this.entries.set(key, counts);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A (user, room)'s key: user IDs hold no NUL, so it is unambiguous. */
export function pairKey(userId: string, roomId: string): string {
  return `${userId}\u0000${roomId}`;
}
