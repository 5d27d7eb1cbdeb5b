/**
 * matrix-js-sdk arms a timer for every request's local deadline (80 s past a
 * /sync long-poll) and never clears it, even after stopClient(); those timers
 * would keep jest alive for minutes after the last test. No e2e test waits
 * anywhere near that long, so timers of a minute or more are unref'd: they
 * still fire while the process runs, but cannot hold it open.
 */
const LONG_MS = 60_000;
const realSetTimeout = globalThis.setTimeout;

globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = realSetTimeout(handler, ms, ...args);
  if ((ms ?? 0) >= LONG_MS) timer.unref();
  return timer;
}) as typeof setTimeout;
