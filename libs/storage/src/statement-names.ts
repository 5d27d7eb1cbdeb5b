/** The protocol's unnamed statement, which every Parse replaces (node-pg sends it for a query without a name). */
const UNNAMED = '';

/**
 * Leads a statement that is planned at every call, never prepared: one whose best plan depends on its parameters
 * more than the generic plan the database settles on after five calls of a prepared statement allows. Measured in
 * the embedded fan-out bench: the notification writes and unread counts ran 3-10 times slower prepared (a
 * generic plan) as their tables grew, while every other statement ran as fast or up to 7 times faster.
 */
export const PLANNED_PER_CALL = '/* planned per call */ ';

/**
 * Names the statements worth preparing, for @prisma/adapter-pg's `statementNameGenerator`: node-pg parses a
 * named statement once per connection and afterwards only binds and executes it, where an unnamed one is parsed
 * and planned again at every query (on PGlite, in WebAssembly, most of its time went there).
 *
 * node-pg and the database keep a named statement for the connection's life, so the names are bounded: a text
 * is named on its second sighting (a bulk insert or an array of one rare length is parsed as before, and costs
 * no memory), and once `capacity` texts are named, no more are. Texts seen once are remembered up to `capacity`
 * too, then forgotten together. One text always gets the same name, so a name never changes text (node-pg
 * refuses that) on any connection of the pool.
 */
export function statementNames(capacity: number): (query: { sql: string }) => string {
  const named = new Map<string, string>();
  let seenOnce = new Set<string>();
  return ({ sql }) => {
    const name = named.get(sql);
    if (name !== undefined) return name;
    if (named.size >= capacity || sql.startsWith(PLANNED_PER_CALL)) return UNNAMED;
    if (!seenOnce.has(sql)) {
      if (seenOnce.size >= capacity) seenOnce = new Set();
      seenOnce.add(sql);
      return UNNAMED;
    }
    seenOnce.delete(sql);
    const fresh = `lattice_${named.size}`;
    named.set(sql, fresh);
    return fresh;
  };
}
