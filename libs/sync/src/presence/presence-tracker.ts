import { Logger } from '@nestjs/common';
import type { OutputPresence, PresenceState } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';
import type { MembershipReads } from '@lattice/rooms';
import {
  eventMatches,
  presenceContent,
  REFRESH_AFTER_MS,
  syncPresenceUpdate,
  type EventFilter,
  type PresenceStore,
  type SyncPosition,
} from '@lattice/streams';
import type { SyncNotifier } from '../notifier';

/** How often each sync worker looks for users who stopped syncing. */
const SWEEP_MS = 15_000;

/**
 * Presence as the sync workers see it: what a /sync does to the syncing
 * user's presence, the presence section of its answer, the wake-ups of
 * long-polls when presence changes, and the sweep that takes users who
 * stopped syncing offline.
 */
export class PresenceTracker {
  private readonly logger = new Logger(PresenceTracker.name);
  /**
   * When this process last wrote a user's presence for their syncs: within
   * REFRESH_AFTER_MS, a sync asking for the same state needs no database
   * read at all.
   */
  private readonly recent = new Map<string, { state: PresenceState; at: number }>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly reader: MembershipReads,
    private readonly notifier: SyncNotifier,
    readonly enabled: boolean,
  ) {}

  start(): void {
    if (!this.enabled) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [userId, seen] of this.recent) if (now - seen.at > REFRESH_AFTER_MS) this.recent.delete(userId);
      this.store
        .timeOutGone(now)
        .catch((e: unknown) =>
          this.logger.debug(`Timing out gone users failed; the next sweep tries again: ${String(e)}`),
        );
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** A presence change (ours or another server's): wake the long-polls of the user and of everyone sharing a room with them. */
  async changed(change: OutputPresence): Promise<void> {
    if (!this.enabled) return;
    // This process's own write comes back here too: only another state invalidates what it remembers.
    if (this.recent.get(change.userId)?.state !== change.state) this.recent.delete(change.userId);
    this.notifier.notify({ userIds: [change.userId] });
    for (const room of await this.reader.roomsOfUser(change.userId, ['join']))
      this.notifier.notify({ roomId: room.roomId });
  }

  /** A /sync with `set_presence` (omitted: online) started. */
  async syncing(userId: string, requested: PresenceState, now = Date.now()): Promise<void> {
    if (!this.enabled || requested === 'offline') return;
    const seen = this.recent.get(userId);
    if (seen?.state === requested && now - seen.at <= REFRESH_AFTER_MS) return;
    const update = syncPresenceUpdate(await this.store.get(userId), requested, now);
    if (update.kind === 'none') return;
    if (update.kind === 'change') await this.store.change(userId, update.record);
    else await this.store.refresh(userId, update);
    // Remembered only after a write, so `at` is what the database holds.
    this.recent.set(userId, { state: requested, at: now });
  }

  /**
   * The presence section's m.presence events between two sync positions,
   * last_active_ago as of now. `membersMoved`: whether any membership changed
   * between them in the viewer's rooms (the only way to come to share a room
   * with someone); with no presence change either, there is nothing to read.
   */
  async events(
    viewer: string,
    from: SyncPosition,
    upTo: SyncPosition,
    filter: EventFilter | undefined,
    membersMoved = true,
    now = Date.now(),
  ): Promise<JsonObject[]> {
    if (!this.enabled || (upTo.presence <= from.presence && !membersMoved)) return [];
    const changed = await this.store.forSync(viewer, {
      presenceAfter: from.presence,
      presenceUpTo: upTo.presence,
      eventsAfter: from.events,
      eventsUpTo: upTo.events,
    });
    return changed
      .filter(({ userId }) => eventMatches(filter, { type: 'm.presence', sender: userId }))
      .map(({ userId, record }) => ({ type: 'm.presence', sender: userId, content: presenceContent(record, now) }));
  }
}
