/** Keys one statement reads at most: a batch of more is read in several. */
const MOST_PER_READ = 500;

/**
 * Reads asked for in one turn of the event loop, run as one. An event in a
 * room of twenty members wakes twenty long-polls in the same turn, and they
 * go through their answers in step: each asks the store for the same kind
 * of thing (its memberships, its unread counts) at about the same moment.
 * Each ask is queued until the turn ends, then `load` reads every queued
 * key in one statement and answers each caller with its own value, so an
 * answer costs the store a share of a statement rather than a statement.
 * `load` answers in the order of the keys it is given.
 */
export class TickBatch<K, V> {
  private pending: Array<{ key: K; resolve: (value: V) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly load: (keys: K[]) => Promise<V[]>) {}

  read(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ key, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += MOST_PER_READ) {
      const chunk = batch.slice(i, i + MOST_PER_READ);
      this.load(chunk.map((c) => c.key)).then(
        (values) => chunk.forEach((c, k) => c.resolve(values[k])),
        (error: unknown) => chunk.forEach((c) => c.reject(error)),
      );
    }
  }
}
