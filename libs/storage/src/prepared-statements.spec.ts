import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from './database';

describe('prepared statements of the embedded database', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-prepared-')) });
  }, 60_000);
  afterAll(async () => db.close());

  const prepared = (text: string) =>
    db.sql.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [text]);

  it('prepares a statement with parameters once, however often it runs, and answers each run', async () => {
    const text = 'SELECT $1::int + 1 AS next';
    for (const n of [1, 2, 3]) expect(await db.sql.query<{ next: number }>(text, [n])).toEqual([{ next: n + 1 }]);
    expect(await prepared(text)).toHaveLength(1);
  });

  it("prepares Prisma's statements too", async () => {
    const text = 'SELECT count(*)::int AS rooms FROM rooms WHERE room_id <> $1';
    for (let run = 0; run < 2; run++) await db.prisma.$queryRawUnsafe(text, '!none');
    expect(await prepared(text)).toHaveLength(1);
  });

  it('runs a statement seen once unnamed: it may never run again, and would hold memory for nothing', async () => {
    const text = 'SELECT $1::int * 2 AS twice';
    expect(await db.sql.query(text, [4])).toEqual([{ twice: 8 }]);
    expect(await prepared(text)).toEqual([]);
  });

  it('runs a statement without parameters unnamed (it may be several statements)', async () => {
    await db.sql.query('SELECT 1; SELECT 2');
    expect(await prepared('SELECT 1; SELECT 2')).toEqual([]);
  });
});
