import { PGlite } from '@electric-sql/pglite';
import { analyzeChangedTables } from './embedded-analyze';
import type { SqlExecutor } from './sql-executor';

describe('planner statistics on PGlite', () => {
  let pglite: PGlite;
  let sql: SqlExecutor;
  const rowsOf = async () =>
    (await sql.query<{ n: number }>(`SELECT reltuples::int AS n FROM pg_class WHERE relname = 'members'`))[0].n;

  beforeAll(async () => {
    pglite = await PGlite.create();
    sql = {
      exec: async (script) => {
        await pglite.exec(script);
      },
      query: async <T>(text: string, params?: unknown[]) => (await pglite.query<T>(text, params)).rows,
      withLock: (fn) => fn(),
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

  it('analyzes a table again once it has changed as much as autovacuum waits for', async () => {
    await sql.exec('INSERT INTO members SELECT generate_series(1101, 2000)');
    expect(await analyzeChangedTables(sql)).toEqual(['members']);
    expect(await rowsOf()).toBe(2000);
  });
});
