import type { Pool, PoolClient } from 'pg';

/**
 * Distinct statement texts a connection prepares at most: each prepared statement holds its parse tree and plans in
 * the server's memory for as long as the connection lives, and a text that changes with its input (a list of
 * literals, a number of parameters) would otherwise add one per variant. Past the limit, texts run unnamed.
 */
export const PREPARED_PER_CONNECTION = 1_000;

type Query = (...args: unknown[]) => unknown;

/**
 * Has the pool's connections name every statement with parameters they run: the server then parses it once per
 * connection, and plans it as Postgres plans a prepared statement (custom plans for its first runs, then a
 * generic one when that costs no more), rather than parsing and planning it at every run. For the embedded
 * database only (database.ts): PGlite does that work on one thread in WebAssembly compiled by V8's baseline
 * compiler, where it cost about as much as the statements' execution (fan-out bench, embedded: 2.6-2.8 ms of CPU
 * per event against 3.6-3.9 unnamed). On Postgres a pooler in transaction mode (PgBouncer before 1.21) would hand
 * a named statement to a session that never prepared it.
 */
export function prepareStatements(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    const names = new Map<string, string>();
    const run = client.query.bind(client) as Query;
    const nameOf = (text: string): string | undefined => {
      let name = names.get(text);
      if (name === undefined && names.size < PREPARED_PER_CONNECTION) {
        name = `lattice_${names.size}`;
        names.set(text, name);
      }
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
