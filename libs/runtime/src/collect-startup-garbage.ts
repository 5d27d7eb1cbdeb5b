import { Session } from 'node:inspector/promises';

/**
 * Starting leaves tens of MB of garbage and grown heap spaces behind (Nest's module graph, the migrations'
 * check, the young generation grown while loading), which an idle server allocating little keeps for minutes:
 * V8's memory reducer runs only once it judges the allocation rate low. One full collection that also gives
 * the spaces back (the inspector's collectGarbage, V8's low-memory collection) takes ~0.3 s of CPU once and
 * lowered idle RSS from ~235 to ~195 MiB (measured: README "The embedded database"). Through the inspector
 * protocol rather than `--expose-gc`: V8 flags are the process's, and changing them at run time while another
 * thread compiles WebAssembly can crash it.
 */
export async function collectStartupGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}
