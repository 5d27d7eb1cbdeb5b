/** Users remembered at most: one entry per syncing user, dropped oldest first. */
const REMEMBERED_USERS = 50_000;

/**
 * The rooms a user's long-poll listens to (joined and invited), as the
 * user's last /sync answer read them, with the events position that answer
 * ended at. A long-poll from a token at or below that position can listen
 * to these rooms without reading them again: a membership change after the
 * position either moved the stream past the token (the poll answers at
 * once, reading memberships afresh) or wakes the poll through its user.
 * A poll from a later token (its answer came from another sync worker)
 * reads them.
 */
export class WatchedRooms {
  private readonly byUser = new Map<string, { roomIds: string[]; at: bigint }>();

  get(userId: string, since: bigint | undefined): string[] | undefined {
    const known = this.byUser.get(userId);
    return known && since !== undefined && since <= known.at ? known.roomIds : undefined;
  }

  set(userId: string, roomIds: string[], at: bigint): void {
    const known = this.byUser.get(userId);
    if (known && known.at > at) return;
    this.byUser.delete(userId);
    if (this.byUser.size >= REMEMBERED_USERS) this.byUser.delete(this.byUser.keys().next().value!);
    this.byUser.set(userId, { roomIds, at });
  }
}
