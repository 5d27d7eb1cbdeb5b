import { AccountDataStore, type AccountDataEntry } from '@lattice/streams';

/** Users whose content is kept at most: past it the oldest go first. */
const MAX_ENTRIES = 100_000;

/**
 * One global account data type of each syncing user (what a sync derives
 * from it), read once and then kept: a sync reads the user's account data
 * changes since its token anyway, and new content is among them. Content
 * read at position P is current for a sync from a token at or before P,
 * whose changes cover everything after P.
 */
export abstract class KeptAccountData<T> {
  private readonly entries = new Map<string, { value: T; readAt: bigint }>();

  protected constructor(
    private readonly store: AccountDataStore,
    private readonly type: string,
    private readonly derive: (content: Record<string, unknown> | undefined) => T,
  ) {}

  /** `changes`: the user's account data changed in (since, current], as the sync read it. */
  protected async read(userId: string, changes: AccountDataEntry[], since: bigint, current: bigint): Promise<T> {
    const changed = changes.find((c) => c.roomId === '' && c.type === this.type);
    const cached = this.entries.get(userId);
    if (!changed && cached && cached.readAt >= since) return cached.value;
    const value = this.derive(changed ? changed.content : await this.store.get(userId, '', this.type));
    this.entries.delete(userId);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userId, { value, readAt: current });
    return value;
  }
}
