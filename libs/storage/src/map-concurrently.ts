/**
 * Runs `work` on every item, at most `limit` at a time, and gives its results in the items' order: reads of many
 * rooms (a /sync answer about thousands, a push batch's rooms) wait side by side (the database has connections and
 * cores to spare), without starting thousands at once.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
