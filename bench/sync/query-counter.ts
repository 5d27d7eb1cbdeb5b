import { createServer } from 'node:http';
import { Client } from 'pg';

/**
 * Preloaded into the server the sync bench starts (`--require`): counts the
 * SQL statements its Postgres clients send and answers the count so far on
 * http://127.0.0.1:$LATTICE_BENCH_QUERY_COUNTER_PORT/, so the bench can
 * report queries per request; /statements answers those sent since the
 * last time it was asked (up to MAX_KEPT), each with the milliseconds
 * until its answer (`--statements` prints them).
 */
let statements = 0;
/** A bench that never asks for them keeps no more than this many. */
const MAX_KEPT = 10_000;
let sent: Array<{ sql: string; ms?: number }> = [];
const query = Client.prototype.query;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  statements++;
  const first = args[0] as string | { text?: string };
  const entry: { sql: string; ms?: number } = { sql: typeof first === 'string' ? first : (first?.text ?? '') };
  if (sent.length < MAX_KEPT) sent.push(entry);
  const start = process.hrtime.bigint();
  const answered = () => (entry.ms = Number(process.hrtime.bigint() - start) / 1e6);
  // pg-pool passes a callback; a caller without one gets a promise.
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    const callback = args[last] as (...a: unknown[]) => unknown;
    args[last] = (...a: unknown[]) => {
      answered();
      return callback(...a);
    };
  }
  const result = (query as (...a: unknown[]) => unknown).apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === 'function')
    void (result as Promise<unknown>).then(answered, answered);
  return result;
} as typeof Client.prototype.query;

createServer((req, res) => {
  if (req.url !== '/statements') return res.end(String(statements));
  res.end(JSON.stringify(sent));
  sent = [];
})
  .listen(Number(process.env.LATTICE_BENCH_QUERY_COUNTER_PORT), '127.0.0.1')
  .unref();
