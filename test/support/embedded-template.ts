import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { initialiseEmbeddedDataDir } from '../../libs/storage/src/embedded-initdb';

/**
 * initdb takes PGlite seconds, and the e2e suites start a hundred fresh servers: one empty database made per
 * PGlite version is copied instead (a copy of the folder is what initdb would have written there).
 */
const pgliteVersion = (
  JSON.parse(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '../package.json'), 'utf8')) as {
    version: string;
  }
).version;
const template = join(tmpdir(), `lattice-pglite-initdb-${pgliteVersion}`);

/** Puts an empty database into `dataDir` unless one is there already (a restarted server keeps its own). */
export async function seedEmbeddedDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  if (!existsSync(join(template, 'PG_VERSION'))) {
    // Made aside and renamed into place: jest workers starting at once must never copy a half-made template.
    const making = mkdtempSync(`${template}-making-`);
    await initialiseEmbeddedDataDir(making);
    try {
      renameSync(making, template);
    } catch {
      // Another worker put its template there first; the two are alike.
      rmSync(making, { recursive: true, force: true });
    }
  }
  cpSync(template, dataDir, { recursive: true });
}
