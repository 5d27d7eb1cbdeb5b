import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { parseConfig } from '../../libs/config/src';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { DATABASE, type Database } from '../../libs/storage/src';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';

/** A single-process server in this process, so the bench can write generated history straight into its database. */
export interface BenchServer {
  name: string;
  url: string;
  db: Database;
  /** True when the server started on a kept data folder that an earlier run filled with `key` (markFilled). */
  filled(key: string): boolean;
  /** Records that this server's data holds what `key` names, so a later run with the same kept folder can reuse it. */
  markFilled(key: string): void;
  stop(): Promise<void>;
}

/**
 * The database modes to measure: embedded PGlite, and Postgres when
 * LATTICE_BENCH_POSTGRES_URL names a server; LATTICE_BENCH_DATABASES
 * (e.g. `postgres`) keeps only those named.
 */
export function databaseModes(): Array<{ name: string; start: () => Promise<BenchServer> }> {
  const modes = [{ name: 'embedded', start: () => startBenchServer('embedded') }];
  const postgresUrl = process.env.LATTICE_BENCH_POSTGRES_URL;
  if (postgresUrl)
    modes.push({
      name: 'postgres',
      start: async () =>
        startBenchServer('postgres', await createScratchDatabase(postgresUrl, 'lattice_bench_surface')),
    });
  else console.log('  (postgres mode skipped: set LATTICE_BENCH_POSTGRES_URL)');
  const wanted = process.env.LATTICE_BENCH_DATABASES?.split(',');
  return wanted ? modes.filter((m) => wanted.includes(m.name)) : modes;
}

/**
 * Generated history takes gigabytes: a mode's data goes when it stops (the
 * embedded database's folder, the Postgres scratch database), unless
 * LATTICE_BENCH_KEEP_DATA names a folder for the embedded database: then it
 * stays there, and a later run with the same folder reuses what is in it
 * (writing a million messages takes minutes).
 */
async function startBenchServer(name: string, postgresUrl?: string): Promise<BenchServer> {
  const kept = postgresUrl ? undefined : process.env.LATTICE_BENCH_KEEP_DATA;
  if (kept) mkdirSync(kept, { recursive: true });
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'lattice-bench-surface-'));
  const server: RunningLattice = await startLattice(
    parseConfig({
      listen: { host: '127.0.0.1', port: 0 },
      dataDir,
      database: postgresUrl
        ? { kind: 'postgres', url: postgresUrl }
        : { kind: 'embedded', dataDir: join(dataDir, 'db') },
      rateLimit: { perSecond: 100_000, burst: 100_000 },
    }),
    { logger: false },
  );
  const marker = (key: string) => join(dataDir, `filled-${key}`);
  const stop = async () => {
    await server.close();
    if (kept) return;
    rmSync(dataDir, { recursive: true, force: true });
    if (postgresUrl) await dropScratchDatabase(postgresUrl);
  };
  return {
    name,
    url: server.url,
    db: server.app.get<Database>(DATABASE),
    filled: (key) => existsSync(marker(key)),
    markFilled: (key) => {
      if (kept) writeFileSync(marker(key), '');
    },
    stop,
  };
}

/** The p-th percentile of durations in milliseconds, to a tenth. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

/** Wall time of one awaited call, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
