import { PGlite } from '@electric-sql/pglite';
import { analyzeChangedTables, vacuumDeadTables } from './embedded-autovacuum';
import type { SqlExecutor } from './sql-executor';

describe('autovacuum on PGlite', () => {
  let pglite: PGlite;
  let sql: Pick<SqlExecutor, 'exec' | 'query'>;
  const rowsOf = async () =>
    (await sql.query<{ n: number }>(`SELECT reltuples::int AS n FROM pg_class WHERE relname = 'members'`))[0].n;

  beforeAll(async () => {
    pglite = await PGlite.create();
    sql = {
      exec: async (script) => {
        await pglite.exec(script);
      },
      query: async <T>(text: string, params?: unknown[]) => (await pglite.query<T>(text, params)).rows,
    };
    await sql.exec('CREATE TABLE members (id int PRIMARY KEY); INSERT INTO members SELECT generate_series(1, 1000)');
  }, 60_000);
  afterAll(() => pglite.close());

  it('analyzes a table never analyzed', async () => {
    expect(await analyzeChangedTables(sql)).toEqual(['members']);
    expect(await rowsOf()).toBe(1000);
  });

  it('leaves a table whose changes since its analysis are under autovacuum threshold', async () => {
    await sql.exec('INSERT INTO members SELECT generate_series(1001, 1100)');
    expect(await analyzeChangedTables(sql)).toEqual([]);
  });

  it('lets the event loop run between two tables it analyzes', async () => {
    await sql.exec('CREATE TABLE rooms (id int PRIMARY KEY); CREATE TABLE events (id int PRIMARY KEY)');
    const order: string[] = [];
    const watched: Pick<SqlExecutor, 'exec' | 'query'> = {
      ...sql,
      exec: async (script) => {
        order.push(script);
        // Work that became due meanwhile (a request), as a client's I/O would be.
        if (order.length === 1) setImmediate(() => order.push('due work'));
        await sql.exec(script);
      },
    };
    expect((await analyzeChangedTables(watched)).sort()).toEqual(['events', 'rooms']);
    expect(order[1]).toBe('due work');
  });

  it('analyzes a table again once it has changed as much as autovacuum waits for', async () => {
    await sql.exec('INSERT INTO members SELECT generate_series(1101, 2000)');
    expect(await analyzeChangedTables(sql)).toEqual(['members']);
    expect(await rowsOf()).toBe(2000);
  });

  it('vacuums a table once it has as many dead rows as autovacuum waits for', async () => {
    await sql.exec('CREATE TABLE outbox (id int PRIMARY KEY); INSERT INTO outbox SELECT generate_series(1, 1000)');
    await analyzeChangedTables(sql);
    await sql.exec('DELETE FROM outbox WHERE id <= 100');
    expect(await vacuumDeadTables(sql)).toEqual([]);
    await sql.exec('DELETE FROM outbox WHERE id <= 500');
    expect(await vacuumDeadTables(sql)).toEqual(['outbox']);
    await sql.query('SELECT pg_stat_force_next_flush()');
    const [{ dead }] = await sql.query<{ dead: number }>(
      `SELECT n_dead_tup::int AS dead FROM pg_stat_user_tables WHERE relname = 'outbox'`,
    );
    expect(dead).toBe(0);
  });
});
