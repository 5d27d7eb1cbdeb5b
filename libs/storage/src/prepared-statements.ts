import type { Pool, PoolClient } from 'pg';
import { literal, withLiterals } from './sql-literals';

/**
 * Distinct statement texts a connection of the embedded database prepares at most, and the room-server's scripts on
 * either database (ScriptStatements): each prepared statement holds its parse tree and plans in the server's memory
 * for as long as the connection lives (about 64 KB for a statement of a few CTEs with its generic plan, measured on
 * Postgres 15). Past the limit, texts run unnamed.
 */
export const PREPARED_PER_CONNECTION = 1_000;
/**
 * The same for a Postgres connection: a deployment has many (every process has its pools), so each holds at most
 * ~6 MB of statements.
 */
export const PREPARED_PER_POSTGRES_CONNECTION = 100;
/** Texts run once a connection remembers at most, to name them on their second run; past it, it starts again. */
const SEEN_ONCE = 1_000;

type Query = (...args: unknown[]) => unknown;

/**
 * Has the pool's connections name every statement with parameters they run more than once: the server then parses
 * it once per connection, and plans it as Postgres plans a prepared statement (custom plans for its first runs,
 * then a generic one when that costs no more), rather than parsing and planning it at every run. A text run once (a
 * start-up read, a list of a size not seen again) is not named, so it holds no memory. PGlite does that work on one
 * thread in WebAssembly compiled by V8's baseline compiler, where it cost about as much as the statements'
 * execution (fan-out bench, embedded: 2.6-2.8 ms of CPU per event against 3.6-3.9 unnamed); Postgres spent half
 * its CPU on it under the same load (services mode: 1.5 ms of Postgres CPU per event against 2.9 unnamed; the
 * single process: 0.6 against 0.9-1.0). Not behind a pooler in transaction mode (PgBouncer before 1.21), which
 * would hand a named statement to a session that never prepared it: `database.preparedStatements: false`.
 */
export function prepareStatements(pool: Pool, most: number): void {
  let connections = 0;
  pool.on('connect', (client: PoolClient) => {
    // The pool's connections to the embedded database share its one session, and so its names (pglite-server.ts).
    const connection = ++connections;
    const names = new Map<string, string>();
    let seen = new Set<string>();
    const run = client.query.bind(client) as Query;
    const nameOf = (text: string): string | undefined => {
      let name = names.get(text);
      if (name !== undefined || names.size >= most) return name;
      if (!seen.has(text)) {
        if (seen.size >= SEEN_ONCE) seen = new Set();
        seen.add(text);
        return undefined;
      }
      seen.delete(text);
      name = `lattice_${connection}_${names.size}`;
      names.set(text, name);
      return name;
    };
    (client as unknown as { query: Query }).query = (config: unknown, values?: unknown, callback?: unknown) => {
      const params = Array.isArray(values) ? values : undefined;
      const unnamed =
        typeof config === 'string'
          ? { text: config, values: params }
          : isUnnamedConfig(config)
            ? { ...config, values: config.values ?? params }
            : undefined;
      const name = unnamed?.values?.length ? nameOf(unnamed.text) : undefined;
      if (!name) return run(config, values, callback);
      return run({ ...unnamed, name }, typeof values === 'function' ? values : callback);
    };
  });
}

function isUnnamedConfig(config: unknown): config is { text: string; values?: unknown[]; name?: string } {
  return (
    typeof config === 'object' &&
    config !== null &&
    typeof (config as { text?: unknown }).text === 'string' &&
    (config as { name?: unknown }).name === undefined &&
    typeof (config as { submit?: unknown }).submit !== 'function'
  );
}

/**
 * The statements of a transaction's one-round-trip script ($queryRawScript, $commitWith: the room-server's
 * writes), run as statements the connection prepared: a simple query takes no parameters, so the script names
 * each with SQL's PREPARE (once per connection and text, in a round trip of its own) and runs it with EXECUTE and
 * its values as literals. Parsing and planning the room-server's write of a message (a WITH of nine inserts over
 * unnest()) took about 0.6 ms of the 1 ms it cost Postgres per message (measured with the statement's text
 * repeated against EXECUTE of it); the lock and fence before it, 0.1 ms of PGlite's 0.4. Their plans do not
 * depend on how large the tables grow: each inserts arrays, or reads by a unique key. Unnamed (the text with its
 * literals) when `prepare` is off (a pooler in transaction mode would run EXECUTE on a connection that never
 * prepared the statement) or past PREPARED_PER_CONNECTION texts.
 */
export class ScriptStatements {
  private readonly names = new WeakMap<PoolClient, { connection: number; byText: Map<string, string> }>();
  private connections = 0;

  constructor(private readonly prepare: boolean) {}

  /** The SQL that runs `text` with `values` on `client`, in a script. */
  async statement(client: PoolClient, text: string, values: unknown[]): Promise<string> {
    if (!this.prepare) return withLiterals(text, values);
    let names = this.names.get(client);
    if (!names) this.names.set(client, (names = { connection: ++this.connections, byText: new Map() }));
    let name = names.byText.get(text);
    if (name === undefined) {
      if (names.byText.size >= PREPARED_PER_CONNECTION) return withLiterals(text, values);
      // Its own prefix: protocol-level names (prepareStatements) share the connection's namespace, and the
      // connection's number, as the embedded database's connections share one session.
      name = `lattice_script_${names.connection}_${names.byText.size}`;
      // PREPARE is not undone with a failed transaction, so a name is known prepared once this answers.
      await client.query(`PREPARE ${name} AS ${text}`);
      names.byText.set(text, name);
    }
    return values.length > 0 ? `EXECUTE ${name}(${values.map(literal).join(', ')})` : `EXECUTE ${name}`;
  }
}
