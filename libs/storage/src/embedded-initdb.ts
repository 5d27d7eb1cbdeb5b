import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite's first start on an empty folder runs initdb inside the same WebAssembly runtime, and what
 * that leaves behind stays resident in the process that ran it: measured here, a fresh PGlite holds
 * ~445 MB (556 MB at its peak) against ~136 MB when it opens a folder that initdb has already made.
 * So a new folder is made by a short-lived child process, and the server itself only ever opens
 * existing ones: its memory no longer depends on whether this is its first start.
 */
export async function initialiseEmbeddedDataDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const pglite = require.resolve('@electric-sql/pglite');
  const script = 'require(process.argv[1]).PGlite.create(process.argv[2]).then((db) => db.close())';
  // Liftoff only, as `npm start`: optimising initdb's WebAssembly would cost the child time and memory for one run.
  const child = spawn(process.execPath, ['--liftoff-only', '-e', script, pglite, dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`initialising the embedded database in ${dataDir} failed (exit ${code}): ${stderr}`);
}
