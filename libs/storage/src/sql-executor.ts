/**
 * The smallest SQL surface the migrator needs, over either PGlite or a pg
 * pool: multi-statement scripts and parameterised queries.
 */
export interface SqlExecutor {
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` holding an exclusive lock, so concurrent starts migrate once. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
}
