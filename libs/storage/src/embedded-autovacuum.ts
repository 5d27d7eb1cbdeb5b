import { setImmediate } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { SqlExecutor } from './sql-executor';

const logger = new Logger('EmbeddedAutovacuum');

/** How often the tables are looked at: autovacuum_naptime's default. */
const CHECK_EVERY_MS = 60_000;

/**
 * A table is analyzed once this many rows plus this share of its rows have changed since its last
 * analysis (autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults), or when it
 * was never analyzed.
 */
const CHANGED_ROWS = 50;
const CHANGED_SHARE = 0.1;
/** A table is vacuumed once it has this many dead rows plus this share of its rows (autovacuum_vacuum_threshold and autovacuum_vacuum_scale_factor's defaults). */
const DEAD_ROWS = 50;
const DEAD_SHARE = 0.2;

export interface Autovacuum {
  /** Stops looking; a pass under way finishes first (the database can close after). */
  stop(): Promise<void>;
}

/**
 * PGlite runs Postgres in one process without its autovacuum worker, so
 * nothing ever gathers the planner's statistics: every table keeps the
 * planner's guesses for a table never analyzed, and as tables grow its plans
 * go wrong (a room of 400 members: reading one member's state event scanned
 * every member's, 26 ms instead of 1, measured). Nor is anything vacuumed:
 * the space of deleted rows is never reused, so a table whose rows come and
 * go (the push outbox: a row per push, deleted once delivered) grows without
 * end, and its indexes with it (the push bench's kept 10,000-member room:
 * 583 MB of push_outbox for no live row after its runs of 200,000 pushes
 * each, every claim slower than the run before). This does autovacuum's
 * work: every CHECK_EVERY_MS, VACUUM each table with as many dead rows as
 * autovacuum waits for, then ANALYZE each table that has changed as much.
 */
export function startAutovacuum(sql: SqlExecutor, everyMs = CHECK_EVERY_MS): Autovacuum {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = vacuumDeadTables(sql)
      .then(() => analyzeChangedTables(sql))
      .catch((e: Error) => logger.warn(`Vacuuming or analyzing failed; tried again in ${everyMs} ms: ${e.message}`))
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Vacuums the tables with as many dead rows as autovacuum waits for; returns their names. */
export async function vacuumDeadTables(sql: Pick<SqlExecutor, 'exec' | 'query'>): Promise<string[]> {
  const tables = await tablesWhere(sql, 'coalesce(s.n_dead_tup, 0) > $1 + $2 * greatest(c.reltuples, 0)', [
    DEAD_ROWS,
    DEAD_SHARE,
  ]);
  await eachApart(tables, (name) => sql.exec(`VACUUM ${name}`));
  if (tables.length > 0) logger.debug(`Vacuumed ${tables.join(', ')}`);
  return tables;
}

/** Analyzes the tables changed enough since their last analysis, or never analyzed; returns their names. */
export async function analyzeChangedTables(sql: Pick<SqlExecutor, 'exec' | 'query'>): Promise<string[]> {
  const tables = await tablesWhere(
    sql,
    'c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > $1 + $2 * c.reltuples',
    [CHANGED_ROWS, CHANGED_SHARE],
  );
  // ANALYZE of event_push_actions alone took 260 ms (3,300 messages): see eachApart.
  await eachApart(tables, (name) => sql.exec(`ANALYZE ${name}`));
  if (tables.length > 0) logger.debug(`Analyzed ${tables.join(', ')}`);
  return tables;
}

/** The schema's tables (quoted names) whose statistics meet `condition` (`c` the table, `s` its statistics). */
async function tablesWhere(sql: Pick<SqlExecutor, 'query'>, condition: string, params: unknown[]): Promise<string[]> {
  // The counts of changes reach pg_stat_user_tables when a backend flushes them, at most once a second on its own.
  await sql.query('SELECT pg_stat_force_next_flush()');
  const rows = await sql.query<{ name: string }>(
    `SELECT quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.relkind = 'r' AND n.nspname = current_schema() AND (${condition})`,
    params,
  );
  return rows.map((r) => r.name);
}

/**
 * One table at a time, with the event loop's due work in between: a first pass analyzes every table (each never
 * was), and the whole pass in one go held an in-process database, and with it every request, for ~500 ms at 3,300
 * messages (measured).
 */
async function eachApart(tables: string[], work: (name: string) => Promise<void>): Promise<void> {
  for (const name of tables) {
    await work(name);
    await setImmediate();
  }
}
