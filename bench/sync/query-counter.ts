import { createServer } from 'node:http';
import { Client } from 'pg';

/**
 * Preloaded into the server the sync bench starts (`--require`): counts the
 * SQL statements its Postgres clients send and answers the count so far on
 * http://127.0.0.1:$LATTICE_BENCH_QUERY_COUNTER_PORT/, so the bench can
 * report queries per request.
 */
let statements = 0;
const query = Client.prototype.query;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof Client.prototype.query;

createServer((_, res) => res.end(String(statements)))
  .listen(Number(process.env.LATTICE_BENCH_QUERY_COUNTER_PORT), '127.0.0.1')
  .unref();
