/**
 * One read for every /sync woken by the same event: an event in a room of
 * twenty members wakes twenty long-polls at once, and each asks the store
 * for the same thing (the room's timeline between the same two positions).
 * The first to ask runs the read; the others, asking while it runs, share
 * its answer. Only reads whose answer depends on nothing but the key go
 * through here (positions that are committed, no user), and the answers are
 * shared objects: callers copy before they change anything.
 */
export class SharedReads {
  private readonly running = new Map<string, Promise<unknown>>();

  share<T>(key: string, read: () => Promise<T>): Promise<T> {
    const shared = this.running.get(key) as Promise<T> | undefined;
    if (shared) return shared;
    const started = read().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
