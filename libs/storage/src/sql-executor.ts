/**
 * The smallest SQL surface the migrator and the hot paths need, over either
 * PGlite or a pg pool: multi-statement scripts, parameterised queries and
 * transactions of raw statements.
 */
export interface SqlExecutor {
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` holding an exclusive lock, so concurrent starts migrate once. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs `fn`'s statements in one transaction on one connection, committed when it resolves and rolled back
   * when it throws. Each statement is one round trip on node-pg, without the CPU Prisma's interactive
   * transactions spend on every statement (per message send: 1.3 of 4.2 ms of the server's CPU, measured).
   */
  transaction<T>(fn: (sql: SqlTransaction) => Promise<T>): Promise<T>;
}

/**
 * Raw statements in a transaction, as both Prisma's transaction client and SqlExecutor.transaction run them, so
 * the code that writes rows works in either. Integer columns come back as bigint from Prisma and as strings or
 * numbers from node-pg: readers convert with BigInt() or Number().
 */
export interface RawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** A statement of a script: its text, with `$n` parameters, and their values. */
export interface ScriptStatement {
  text: string;
  values: unknown[];
}

/**
 * SqlExecutor.transaction's statements: RawSql, and scripts. A script is one round trip (one simple query, which
 * takes no parameters): each of its statements runs as a statement the connection prepared, with its values as
 * literals (ScriptStatements), and has a snapshot of its own, as if sent one after another.
 */
export interface SqlTransaction extends RawSql {
  /** Runs the statements in one round trip; answers with the last one's rows. */
  $queryRawScript<T = unknown>(statements: ScriptStatement[]): Promise<T>;
  /**
   * Runs `script`, then the transaction's last statement, and commits, in one round trip. Answers with that
   * statement's rows.
   */
  $commitWith<T = unknown>(script: ScriptStatement[], query: string, ...values: unknown[]): Promise<T>;
}
