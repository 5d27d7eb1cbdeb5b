/**
 * Runs `work` on every item, at most `limit` at a time: reads of many rooms
 * (a /sync answer about thousands, a push batch's rooms) wait side by side
 * (the database has connections and cores to spare), without starting
 * thousands at once.
 */
export async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
