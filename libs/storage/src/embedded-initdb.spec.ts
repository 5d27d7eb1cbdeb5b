import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialiseEmbeddedDataDir } from './embedded-initdb';

describe('initialiseEmbeddedDataDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'lattice-initdb-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a Postgres data folder in an empty one', async () => {
    await initialiseEmbeddedDataDir(dir);
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
  }, 120_000);

  it('leaves a folder that already holds a database as it is', async () => {
    await initialiseEmbeddedDataDir(dir);
    const made = statSync(join(dir, 'global', 'pg_control')).mtimeMs;
    await initialiseEmbeddedDataDir(dir);
    expect(statSync(join(dir, 'global', 'pg_control')).mtimeMs).toBe(made);
  }, 120_000);

  it('says why when the folder cannot be made', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    await expect(initialiseEmbeddedDataDir(join(file, 'db'))).rejects.toThrow(/initialising the embedded database/);
  }, 120_000);
});
