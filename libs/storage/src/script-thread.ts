import { extname, join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a thread running `<script>` from `directory` (the caller's `__dirname`): the compiled .js there, or under
 * jest the TypeScript source, which Node strips of its types and, finding `import`, loads as an ES module (with a
 * warning that the package does not say which it is). This file is compiled or run as source as its callers are.
 * Such a script imports nothing of the project's, which Node could not resolve from the source.
 */
export function startScriptThread(directory: string, script: string, options: WorkerOptions): Worker {
  const extension = extname(__filename);
  return new Worker(join(directory, `${script}${extension}`), {
    ...options,
    execArgv: extension === '.ts' ? [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : [],
  });
}
