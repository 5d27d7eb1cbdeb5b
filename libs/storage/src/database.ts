import { Logger } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient, type QueryResult } from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { migrate } from './migrate';
import { startAutovacuum } from './embedded-autovacuum';
import { initialiseEmbeddedDataDir } from './embedded-initdb';
import { startEmbeddedPostgres } from './embedded-postgres';
import {
  PREPARED_PER_CONNECTION,
  PREPARED_PER_POSTGRES_CONNECTION,
  prepareStatements,
  ScriptStatements,
} from './prepared-statements';
import { releaseQueryCompilerSource } from './release-query-compiler-source';
import type { ScriptStatement, SqlExecutor, SqlTransaction } from './sql-executor';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('openDatabase');

export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string }
  /** preparedStatements: whether transactions' scripts run as statements each connection prepared (ScriptStatements). */
  | { kind: 'postgres'; url: string; preparedStatements?: boolean };

/** An open database: the Prisma client every service uses, and a raw executor for migrations and hot paths. */
export interface Database {
  /** Embedded: PGlite, one session running every statement in turn, so a long one holds up all others. */
  kind: DatabaseConfig['kind'];
  prisma: PrismaClient;
  sql: SqlExecutor;
  /** Connection pools in use now, for the pool-use metric. */
  poolStats(): PoolStats[];
  /** Embedded: bytes in use on the database thread's JavaScript heap, for the heap metric; Postgres: none. */
  threadHeapUsed(): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface PoolStats {
  /**
   * prisma: most queries of every service; sql: migrations, the room-server's writes and the push service's rows;
   * embedded: both, on PGlite's one session.
   */
  pool: string;
  total: number;
  idle: number;
  /** Clients waiting for a connection: the pool is the bottleneck when this stays above 0. */
  waiting: number;
}

/** Lock key for migrations (any constant shared by every process of a deployment). */
const MIGRATION_LOCK = 7_415_012;

/**
 * Opens (and migrates) the database.
 *
 * Embedded mode uses PGlite: PostgreSQL compiled to WebAssembly, in process,
 * persisted in a folder. It speaks the same SQL and runs the same migrations
 * as the production Postgres, so there is one schema and one set of queries
 * (SQLite would need a second dialect), and it needs no server process or OS
 * user, which is what `npm install && npm start` on a bare machine requires.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const db =
    config.kind === 'embedded'
      ? await openEmbedded(config.dataDir)
      : openPostgres(config.url, config.preparedStatements ?? true);
  await migrate(db.sql);
  // Connecting loads Prisma's query compiler, whose source can then be let go.
  await db.prisma.$connect();
  releaseQueryCompilerSource();
  return db;
}

/**
 * PGlite's shared memory lives in its WebAssembly heap, all of it resident from the start and never given
 * back. Postgres' default 128 MB of shared buffers cost about 160 MB of resident memory (measured); the data
 * folder is read through the OS page cache anyway, so a single-user embedded database does with 4 MB: 4 MB
 * less resident than 8 (16 cost ~10 MB more), and the fan-out bench (1,000 messages, five runs of each, alternated)
 * no slower: 147-249 events/s and 4.4-5.4 ms of CPU per event against 93-243 and 4.4-5.6 with 8 MB. PGlite is
 * one session, but Postgres sizes its lock tables and per-backend state for max_connections backends (100 in
 * initdb's postgresql.conf): 5 takes another 4 MB off the resident heap (shared memory 12 MB instead of 15).
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=4MB', '-c', 'max_connections=5'];

/**
 * Connections to the embedded database. PGlite is one session, which its thread shares between them a batch at
 * a time, and a transaction's connection keeps it until the transaction ends (pglite-server.ts). More than one
 * lets the next statements wait on PGlite's thread, sent while PGlite runs one, instead of in the pool until its
 * answer has come back through the main thread's event loop: under the fan-out load PGlite's thread was busy 50-58%
 * of the time with one connection. The fan-out bench, embedded, five pairs alternated with one connection: 373,
 * 459, 561, 511 and 547 events/s against 311, 451, 466, 462 and 468, CPU per event 2.5 ms against 2.8 (medians),
 * PSS peak 276 MiB against 261; idle RSS 60 s after start 178 MiB against 182.
 */
const EMBEDDED_CONNECTIONS = 3;

/**
 * PGlite on a thread of its own (embedded-postgres.ts), reached through the same node-pg pool and Prisma
 * adapter as Postgres: its WebAssembly gets the machine's second core as a Postgres server does, and both
 * databases are one code path (the pg instrumentation traces both). Prisma and the raw executor share the pool:
 * an interactive transaction holds the session, and the other connections' queries wait for it.
 */
async function openEmbedded(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  await initialiseEmbeddedDataDir(dataDir);
  const server = await startEmbeddedPostgres(dataDir, EMBEDDED_SETTINGS);
  const pool = new Pool({ ...server.connection, max: EMBEDDED_CONNECTIONS, idleTimeoutMillis: 0 });
  prepareStatements(pool, PREPARED_PER_CONNECTION);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  // One process owns the data folder, so there is nobody to race (and its connections share one session, which an
  // advisory lock would not keep from each other).
  const sql = poolExecutor(pool, (fn) => fn(), new ScriptStatements(true));
  const autovacuum = startAutovacuum(sql);
  return {
    kind: 'embedded',
    prisma,
    sql,
    poolStats: () => [poolStatsOf('embedded', pool)],
    threadHeapUsed: () => server.heapUsed(),
    close: async () => {
      await autovacuum.stop();
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
      await server.stop();
    },
  };
}

/**
 * Postgres compiles a query whose estimated cost is high with LLVM (JIT) before running it: seconds of
 * compiling for a read of a few thousand rows by index (an initial sync's state of 500 rooms took 6 s, 65 ms
 * without). Lattice's queries are short, so the sessions turn it off.
 */
const NO_JIT = '-c jit=off';

function openPostgres(url: string, preparedStatements: boolean): Database {
  const pool = new Pool({ connectionString: url, max: 4, options: NO_JIT });
  // Our own pool for Prisma (the adapter would otherwise make one we cannot see), so its use can be measured.
  const prismaPool = new Pool({ connectionString: url, options: NO_JIT });
  if (preparedStatements) for (const p of [pool, prismaPool]) prepareStatements(p, PREPARED_PER_POSTGRES_CONNECTION);
  const prisma = new PrismaClient({ adapter: new PrismaPg(prismaPool) });
  const sql = poolExecutor(
    pool,
    async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        return await fn();
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
          .catch((e: unknown) =>
            logger.debug(
              `Migration lock not unlocked; it goes with the session when the connection is released: ${String(e)}`,
            ),
          );
        client.release();
      }
    },
    new ScriptStatements(preparedStatements),
  );
  return {
    kind: 'postgres',
    prisma,
    sql,
    poolStats: () => [poolStatsOf('prisma', prismaPool), poolStatsOf('sql', pool)],
    threadHeapUsed: async () => undefined,
    close: async () => {
      await prisma.$disconnect();
      if (!prismaPool.ended) await prismaPool.end();
      await pool.end();
    },
  };
}

/** The raw executor over a pool; `withLock` is how concurrent starts of the deployment migrate once. */
function poolExecutor(pool: Pool, withLock: SqlExecutor['withLock'], statements: ScriptStatements): SqlExecutor {
  return {
    exec: async (script) => {
      // One connection per script: a failed multi-statement transaction is rolled back where it ran.
      const client = await pool.connect();
      try {
        await client.query(script);
      } catch (e) {
        await client
          .query('ROLLBACK')
          .catch((e: unknown) =>
            logger.debug(
              `ROLLBACK after a failed migration failed too; the connection is released, which ends the transaction: ${String(e)}`,
            ),
          );
        throw e;
      } finally {
        client.release();
      }
    },
    query: async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[],
    withLock,
    transaction: async (fn) => {
      const client = await pool.connect();
      const tx = new PgTransaction(client, statements);
      try {
        const result = await fn(tx);
        await tx.end('COMMIT');
        return result;
      } catch (e) {
        await tx
          .end('ROLLBACK')
          .catch((e: unknown) =>
            logger.debug(`ROLLBACK failed; the connection is released, which ends the transaction: ${String(e)}`),
          );
        throw e;
      } finally {
        client.release();
      }
    },
  };
}

/**
 * A transaction on one node-pg connection. BEGIN goes with the first statement when that one has no parameters
 * (one simple query of both, a round trip fewer); before any other, on its own.
 */
class PgTransaction implements SqlTransaction {
  private state: 'idle' | 'begun' | 'committed' = 'idle';

  constructor(
    private readonly client: PoolClient,
    private readonly statements: ScriptStatements,
  ) {}

  async $queryRawUnsafe<T>(text: string, ...values: unknown[]): Promise<T> {
    return (await this.run(text, values)).rows as T;
  }

  async $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number> {
    return (await this.run(text, values)).rowCount ?? 0;
  }

  async $queryRawScript<T>(statements: ScriptStatement[]): Promise<T> {
    return (await this.run(await this.script(statements), [])).rows as T;
  }

  async $commitWith<T>(script: ScriptStatement[], text: string, ...values: unknown[]): Promise<T> {
    const answer = await this.send(`${await this.script([...script, { text, values }])};\nCOMMIT`, []);
    this.state = 'committed';
    return (answer as unknown as QueryResult[]).at(-2)!.rows as T;
  }

  /** The statements as one simple query's text. */
  private async script(statements: ScriptStatement[]): Promise<string> {
    const texts: string[] = [];
    for (const { text, values } of statements) texts.push(await this.statements.statement(this.client, text, values));
    return texts.join(';\n');
  }

  /** COMMIT or ROLLBACK, if the transaction began and is not committed yet. */
  async end(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.state === 'begun') await this.client.query(statement);
  }

  private async run(text: string, values: unknown[]): Promise<QueryResult> {
    const answer = await this.send(text, values);
    // A simple query of several statements answers with one result per statement.
    return Array.isArray(answer) ? (answer as QueryResult[]).at(-1)! : answer;
  }

  private async send(text: string, values: unknown[]): Promise<QueryResult> {
    if (this.state !== 'idle') return this.client.query(text, values);
    this.state = 'begun';
    if (values.length > 0) {
      await this.client.query('BEGIN');
      return this.client.query(text, values);
    }
    return this.client.query(`BEGIN;\n${text}`);
  }
}

function poolStatsOf(name: string, pool: Pool): PoolStats {
  return { pool: name, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/** Dependency-injection token of the open Database. */
export const DATABASE = Symbol('Database');
