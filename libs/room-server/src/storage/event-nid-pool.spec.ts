import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@lattice/storage';
import { EventNidPool } from './event-nid-pool';

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-nids-')) });
}, 60_000);
afterAll(async () => db.close());

const nextFromSequence = async () =>
  BigInt(
    (await db.sql.query<{ nid: string }>("SELECT nextval(pg_get_serial_sequence('events', 'event_nid')) AS nid"))[0]
      .nid,
  );

describe('EventNidPool', () => {
  it('hands out ascending nids, none twice, that the sequence no longer gives', async () => {
    const pool = new EventNidPool(db.sql);
    const taken = [...(await pool.take(3)), ...(await pool.take(2))];
    expect(new Set(taken).size).toBe(5);
    expect(taken).toEqual([...taken].sort((a, b) => (a < b ? -1 : 1)));
    expect(await nextFromSequence()).toBeGreaterThan(taken[taken.length - 1]);
  });

  it('takes more than one reservation holds when a write needs them', async () => {
    const pool = new EventNidPool(db.sql);
    await pool.take(60);
    const many = await pool.take(100);
    expect(new Set(many).size).toBe(100);
  });

  it("never hands out a nid another process's pool took", async () => {
    const [first, second] = [new EventNidPool(db.sql), new EventNidPool(db.sql)];
    const a = await first.take(10);
    const b = await second.take(10);
    expect(a.filter((nid) => b.includes(nid))).toEqual([]);
  });
});
