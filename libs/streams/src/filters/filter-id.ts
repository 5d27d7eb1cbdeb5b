/** The largest filter ID the filters table holds (a 32-bit integer column). */
const MAX_FILTER_ID = 2 ** 31 - 1;

/**
 * The filter ID a client gave, as POST /user/{userId}/filter issues them
 * (decimal, from 0), or undefined for anything that cannot be one: such a
 * filter does not exist, and must not reach the database as a number out of
 * the column's range.
 */
export function filterIdOf(raw: string): number | undefined {
  if (!/^\d{1,10}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= MAX_FILTER_ID ? id : undefined;
}
