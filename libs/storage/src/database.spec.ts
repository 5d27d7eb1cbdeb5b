import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database, type DatabaseConfig } from './database';
import { migrate } from './migrate';
import { claimPartitionEpoch } from './partition-epochs';
import { allocateStreamPositions, allocationSql, currentStreamPosition } from './stream-positions';

const configs: Array<[string, () => DatabaseConfig]> = [
  ['PGlite', () => ({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-db-')) })],
];
if (process.env.LATTICE_TEST_POSTGRES_URL)
  configs.push(['Postgres', () => ({ kind: 'postgres', url: process.env.LATTICE_TEST_POSTGRES_URL! })]);

describe.each(configs)('database on %s', (_name, config) => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase(config());
  }, 60_000);
  afterAll(async () => db.close());

  it('creates the schema and records the migration as Prisma does', async () => {
    const rows = await db.sql.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations"',
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await db.prisma.room.count()).toBeGreaterThanOrEqual(0);
  });

  it('does nothing when migrated again', async () => {
    expect(await migrate(db.sql)).toEqual([]);
  });

  it('allocates stream positions that only increase', async () => {
    const before = await currentStreamPosition(db.prisma, 'receipts');
    const first = await db.prisma.$transaction((tx) => allocateStreamPositions(tx, 'receipts', 3));
    const second = await db.prisma.$transaction((tx) => allocateStreamPositions(tx, 'receipts', 1));
    expect(first).toBe(before + 1n);
    expect(second).toBe(first + 3n);
    expect(await currentStreamPosition(db.prisma, 'receipts')).toBe(second);
  });

  it('does not hand out a position from a rolled-back transaction as committed', async () => {
    const before = await currentStreamPosition(db.prisma, 'account_data');
    await expect(
      db.prisma.$transaction(async (tx) => {
        await allocateStreamPositions(tx, 'account_data', 1);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await currentStreamPosition(db.prisma, 'account_data')).toBe(before);
  });

  it('hands each new holder of a partition a higher writer epoch', async () => {
    const first = await claimPartitionEpoch(db.prisma, 3, 'replica-a');
    const second = await claimPartitionEpoch(db.prisma, 3, 'replica-b');
    expect(second).toBe(first + 1n);
    expect(await db.prisma.partitionEpoch.findUnique({ where: { partition: 3 } })).toMatchObject({
      epoch: second,
      owner: 'replica-b',
    });
  });

  it("runs a transaction's script as statements the connection prepared, once for every run of their texts", async () => {
    const before = await currentStreamPosition(db.prisma, 'to_device');
    const lock = {
      text: "SELECT 1 FROM stream_positions WHERE stream = $1 AND 'script' <> '' FOR UPDATE",
      values: ['to_device'],
    };
    const allocate = (count: number) =>
      db.sql.transaction((tx) =>
        tx.$commitWith<Array<{ position: string }>>([lock], allocationSql("'to_device'", '$1::bigint'), count),
      );
    const [first] = await allocate(2);
    const [second] = await allocate(3);
    expect(BigInt(first.position)).toBe(before + 2n);
    expect(BigInt(second.position)).toBe(before + 5n);
    const prepared = await db.sql.transaction((tx) =>
      tx.$queryRawUnsafe<Array<{ statement: string }>>(
        "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'lattice_script_%' AND statement LIKE '%stream_positions%'",
      ),
    );
    expect(prepared).toHaveLength(2);
  });

  it("does not show a transaction's uncommitted writes to a read made while it is open", async () => {
    const before = await currentStreamPosition(db.prisma, 'receipts');
    let committed = false;
    let allocated!: () => void;
    const allocation = new Promise<void>((resolve) => (allocated = resolve));
    const writer = db.prisma
      .$transaction(async (tx) => {
        await allocateStreamPositions(tx, 'receipts', 1);
        allocated();
        await new Promise((r) => setTimeout(r, 100));
      })
      .then(() => {
        committed = true;
      });
    await allocation;
    const seen = await currentStreamPosition(db.prisma, 'receipts');
    expect(seen === before || committed).toBe(true);
    await writer;
  });
});

describe('database on Postgres without prepared statements', () => {
  const url = process.env.LATTICE_TEST_POSTGRES_URL;
  const onPostgres = url ? it : it.skip;

  onPostgres("commits a transaction's last statement with its values written into its text", async () => {
    const db = await openDatabase({ kind: 'postgres', url: url!, preparedStatements: false });
    try {
      const before = await currentStreamPosition(db.prisma, 'to_device');
      const [row] = await db.sql.transaction((tx) =>
        tx.$commitWith<Array<{ position: string }>>([], allocationSql("'to_device'", '$1::bigint'), 1),
      );
      expect(BigInt(row.position)).toBe(before + 1n);
      const prepared = await db.sql.transaction((tx) =>
        tx.$queryRawUnsafe<unknown[]>("SELECT 1 FROM pg_prepared_statements WHERE name LIKE 'lattice_script_%'"),
      );
      expect(prepared).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
