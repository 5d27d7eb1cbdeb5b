import { setImmediate } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { SqlExecutor } from './sql-executor';

const logger = new Logger('EmbeddedAnalyze');

/** How often the tables are looked at: autovacuum_naptime's default. */
const CHECK_EVERY_MS = 60_000;

/**
 * A table is analyzed once this many rows plus this share of its rows have changed since its last
 * analysis (autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults), or when it
 * was never analyzed.
 */
const CHANGED_ROWS = 50;
const CHANGED_SHARE = 0.1;

export interface AutoAnalyze {
  /** Stops looking; an analysis under way finishes first (the database can close after). */
  stop(): Promise<void>;
}

/**
 * PGlite runs Postgres in one process without its autovacuum worker, so
 * nothing ever gathers the planner's statistics: every table keeps the
 * planner's guesses for a table never analyzed, and as tables grow its plans
 * go wrong (a room of 400 members: reading one member's state event scanned
 * every member's, 26 ms instead of 1, measured). This does the part of
 * autovacuum the plans need: every CHECK_EVERY_MS, ANALYZE each table that
 * has changed as much as autovacuum would wait for.
 */
export function startAutoAnalyze(sql: SqlExecutor, everyMs = CHECK_EVERY_MS): AutoAnalyze {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = analyzeChangedTables(sql)
      .catch((e: Error) =>
        logger.warn(`Gathering planner statistics failed; tried again in ${everyMs} ms: ${e.message}`),
      )
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

/** Analyzes the tables changed enough since their last analysis, or never analyzed; returns their names. */
export async function analyzeChangedTables(sql: Pick<SqlExecutor, 'exec' | 'query'>): Promise<string[]> {
  // The counts of changes reach pg_stat_user_tables when a backend flushes them, at most once a second on its own.
  await sql.query('SELECT pg_stat_force_next_flush()');
  const tables = await sql.query<{ name: string }>(
    `SELECT quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.relkind = 'r' AND n.nspname = current_schema()
        AND (c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > $1 + $2 * c.reltuples)`,
    [CHANGED_ROWS, CHANGED_SHARE],
  );
  for (const { name } of tables) {
    await sql.exec(`ANALYZE ${name}`);
    // One table at a time, with the event loop's due work in between: a first pass analyzes every table (each
    // never was), and the whole pass in one go held an in-process database, and with it every request, for
    // ~500 ms at 3,300 messages (measured; ANALYZE of event_push_actions alone took 260 ms).
    await setImmediate();
  }
  if (tables.length > 0) logger.debug(`Analyzed ${tables.map((t) => t.name).join(', ')}`);
  return tables.map((t) => t.name);
}
