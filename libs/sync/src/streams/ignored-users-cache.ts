import { Injectable } from '@nestjs/common';
import { AccountDataStore, type AccountDataEntry } from '@lattice/streams';
import { ignoredUsersOf } from './ignored-users';

/** Users whose lists are kept at most: past it the oldest go first. */
const MAX_ENTRIES = 100_000;

/**
 * Each syncing user's ignore list (m.ignored_user_list), read once and then
 * kept: /sync reads the user's account data changes since its token anyway,
 * and a new list is among them. A list read at position P is current for a
 * sync from a token at or before P, whose changes cover everything after P.
 */
@Injectable()
export class IgnoredUsersCache {
  private readonly entries = new Map<string, { ignored: ReadonlySet<string>; readAt: bigint }>();

  constructor(private readonly store: AccountDataStore) {}

  /** `changes`: the user's account data changed in (since, current], as /sync read it. */
  async ignoredBy(
    userId: string,
    changes: AccountDataEntry[],
    since: bigint,
    current: bigint,
  ): Promise<ReadonlySet<string>> {
    const changed = changes.find((c) => c.roomId === '' && c.type === 'm.ignored_user_list');
    const cached = this.entries.get(userId);
    if (!changed && cached && cached.readAt >= since) return cached.ignored;
    const ignored = ignoredUsersOf(changed ? changed.content : await this.store.get(userId, '', 'm.ignored_user_list'));
    this.remember(userId, { ignored, readAt: current });
    return ignored;
  }

  private remember(userId: string, entry: { ignored: ReadonlySet<string>; readAt: bigint }): void {
    this.entries.delete(userId);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userId, entry);
  }
}
