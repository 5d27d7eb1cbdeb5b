import type { PresenceRecord } from '@lattice/streams';

/** How many early updates are kept: a bound on what a server sending presence about strangers can make us hold. */
export const MAX_EARLY_UPDATES = 1_000;
/** How long an early update waits for the join that makes it relevant. */
export const EARLY_UPDATE_TTL_MS = 60_000;

export interface EarlyUpdate {
  origin: string;
  userId: string;
  record: PresenceRecord;
  /** When it arrived: held again after a look that did not take it up, it keeps its time. */
  receivedAt: number;
}

/**
 * Presence updates about users in no room here, kept a short while. When our
 * user joins a room over federation, the resident server sends its members'
 * presence as soon as it has accepted the join, which can be before our own
 * server has stored the room from the send_join answer: the updates must wait
 * for it rather than be dropped. One update per user (the newest), the oldest
 * dropped beyond the bound, each forgotten after its time.
 */
export class EarlyPresence {
  private readonly updates = new Map<string, EarlyUpdate>();

  constructor(
    private readonly max = MAX_EARLY_UPDATES,
    private readonly ttlMs = EARLY_UPDATE_TTL_MS,
  ) {}

  get size(): number {
    return this.updates.size;
  }

  hold(update: EarlyUpdate): void {
    const held = this.updates.get(update.userId);
    if (held && held.receivedAt > update.receivedAt) return;
    // Deleted first so that a newer update of the same user moves to the back of the insertion order.
    this.updates.delete(update.userId);
    this.updates.set(update.userId, update);
    for (const userId of this.updates.keys()) {
      if (this.updates.size <= this.max) break;
      this.updates.delete(userId);
    }
  }

  /** A newer update of this user was taken up: the held one must not overwrite it later. */
  forget(userId: string): void {
    this.updates.delete(userId);
  }

  /** Takes out the updates still in time, forgetting the expired ones; those not taken up are to be held again. */
  takeAll(now: number): EarlyUpdate[] {
    const live = [...this.updates.values()].filter(({ receivedAt }) => now - receivedAt <= this.ttlMs);
    this.updates.clear();
    return live;
  }
}
