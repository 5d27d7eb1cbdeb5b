import { existsSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

describe('PGlite on its own thread, reached over the Postgres wire protocol', () => {
  let server: EmbeddedPostgres;
  const connected = async () => {
    const client = new Client(server.connection);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    server = await startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'lattice-pglite-server-')), []);
    const client = await connected();
    await client.query('CREATE TABLE notes (body text)');
    await client.end();
  }, 60_000);

  it('answers an SSL request with N (no encryption on a local socket)', async () => {
    const socket = connect(join(server.connection.host, `.s.PGSQL.${server.connection.port}`));
    const request = Buffer.alloc(8);
    request.writeInt32BE(8, 0);
    request.writeInt32BE(80_877_103, 4);
    socket.write(request);
    const [answer] = (await new Promise((resolve) => socket.once('data', (d) => resolve([d])))) as [Buffer];
    socket.destroy();
    expect(answer.toString()).toBe('N');
  });

  it('runs a query whose message arrives over several reads', async () => {
    const client = await connected();
    const long = 'x'.repeat(2_000_000);
    const { rows } = await client.query<{ n: number }>('SELECT length($1::text) AS n', [long]);
    await client.end();
    expect(rows[0].n).toBe(2_000_000);
  });

  it("keeps nothing of the answers it sent on its thread's heap while the connection stays open", async () => {
    const client = await connected();
    const before = await server.heapUsed();
    // 1,000 answers of 100 kB: kept as parsed messages, they would hold about 100 MB of that heap.
    for (let i = 0; i < 1_000; i++) await client.query(`SELECT repeat('x', 100000) AS body`);
    const after = await server.heapUsed();
    await client.end();
    expect(after - before).toBeLessThan(32 * 1024 * 1024);
  }, 60_000);

  it('rolls back the transaction of a connection that leaves in the middle of it, as Postgres does', async () => {
    const leaving = await connected();
    await leaving.query('BEGIN');
    await leaving.query(`INSERT INTO notes VALUES ('never committed')`);
    await leaving.end();
    const client = await connected();
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM notes');
    await client.end();
    expect(rows[0].n).toBe('0');
  });

  it("runs another connection's statements after a transaction ends, not inside it", async () => {
    const writer = await connected();
    const reader = await connected();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO notes VALUES ('in a transaction')`);
    const read = reader.query<{ n: string }>('SELECT count(*) AS n FROM notes');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.query('ROLLBACK');
    const { rows } = await read;
    await Promise.all([writer.end(), reader.end()]);
    expect(rows[0].n).toBe('0');
  });

  it('forgets the statements a leaving connection prepared, and only those', async () => {
    const staying = await connected();
    const leaving = await connected();
    await staying.query('PREPARE kept_statement AS SELECT 1');
    await leaving.query('PREPARE leaving_statement AS SELECT 2');
    await leaving.query({ name: 'leaving_protocol', text: 'SELECT $1::int', values: [3] });
    await leaving.end();
    const { rows } = await staying.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name');
    await staying.query('DEALLOCATE kept_statement');
    await staying.end();
    expect(rows.map((r) => r.name)).toEqual(['kept_statement']);
  });

  it('keeps what was committed after it stops and starts again on the same folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lattice-pglite-server-'));
    const first = await startEmbeddedPostgres(dataDir, []);
    const writer = new Client(first.connection);
    await writer.connect();
    await writer.query(`CREATE TABLE kept (body text); INSERT INTO kept VALUES ('committed')`);
    await writer.end();
    await first.stop();
    expect(existsSync(join(first.connection.host, `.s.PGSQL.${first.connection.port}`))).toBe(false);

    const second = await startEmbeddedPostgres(dataDir, []);
    const reader = new Client(second.connection);
    await reader.connect();
    const { rows } = await reader.query('SELECT body FROM kept');
    await reader.end();
    await second.stop();
    expect(rows).toEqual([{ body: 'committed' }]);
  }, 60_000);

  it('serves a data folder whose path is too long for a socket from a private temporary folder', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'lattice-pglite-server-')), 'd'.repeat(100));
    const deep = await startEmbeddedPostgres(dataDir, []);
    const client = new Client(deep.connection);
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();
    await deep.stop();
    expect(deep.connection.host).not.toContain(dataDir);
    expect(rows).toEqual([{ one: 1 }]);
    expect(existsSync(deep.connection.host)).toBe(false);
  }, 60_000);

  afterAll(() => server.stop());
});
