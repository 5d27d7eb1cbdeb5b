import type { RecentRoomEvent, RecentRoomEvents } from './recent-room-events';

/** What changed since each position, worked out once for the lookups of one answer (they share their `upTo`). */
export type ChangesSince = Map<bigint, Set<string> | undefined>;

/**
 * Values a sync worker keeps by key (a user, a room), each tied to the events position it is current to, the least
 * recently used leaving first. A value serves a later position only when the worker heard every event in between
 * (RecentRoomEvents) and none of them changed its key (`changedIn`); it then becomes current to that position. The
 * values kept are read from the store's current state, not of a position, so one kept for a later position serves
 * an earlier one too.
 */
export class HeardKeptValues<V> {
  private readonly kept = new Map<string, { value: V; at: bigint }>();

  constructor(
    private readonly recent: RecentRoomEvents,
    private readonly most: number,
    private readonly changedIn: (events: RecentRoomEvent[]) => Set<string>,
  ) {}

  /** The value kept for `key` if it still holds at `upTo`. */
  get(key: string, upTo: bigint, changesSince: ChangesSince = new Map()): V | undefined {
    const entry = this.kept.get(key);
    if (!entry) return undefined;
    if (entry.at < upTo) {
      if (!changesSince.has(entry.at)) {
        const heard = this.recent.between(entry.at, upTo);
        changesSince.set(entry.at, heard && this.changedIn(heard));
      }
      const changed = changesSince.get(entry.at);
      if (!changed || changed.has(key)) return undefined;
      entry.at = upTo;
    }
    this.set(key, entry.value, entry.at);
    return entry.value;
  }

  /** Keeps `value`, read at `at` or later. */
  set(key: string, value: V, at: bigint): void {
    this.kept.delete(key);
    if (this.kept.size >= this.most) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { value, at });
  }
}
