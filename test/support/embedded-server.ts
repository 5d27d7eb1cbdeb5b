import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { parseConfig } from '../../libs/config/src';
import { startLattice, type RunningLattice } from '../../libs/runtime/src/start-lattice';
import { seedEmbeddedDataDir } from './embedded-template';

/**
 * Test deployments federate with each other on this machine, which outbound
 * requests refuse by default (config `outbound`): every harness allows
 * loopback, and nothing else, so no test (the fuzzer's made-up server names
 * such as "1.5" included) ever connects off this machine.
 */
export const LOOPBACK_OUTBOUND = { allowRanges: ['127.0.0.0/8', '::1/128'], denyRanges: ['0.0.0.0/0', '::/0'] };

/**
 * The data folders made for the test file, removed after its last test (its servers are closed by then): a whole
 * run makes hundreds of ~40 MB each, and left behind they filled this machine's disk. A test that restarts a
 * server on its folder keeps it until then.
 */
const madeHere = new Set<string>();
afterAll(() => {
  for (const dir of madeHere) rmSync(dir, { recursive: true, force: true });
});

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-e2e-'));
  madeHere.add(dir);
  return dir;
}

/**
 * The single-process server on a free loopback port, with its data in a fresh
 * temporary folder; `overrides` replace settings whole (an `outbound` of their
 * own gives the default refusal of loopback back).
 */
export async function startEmbeddedServer(
  overrides: Record<string, unknown> = {},
  dataDir = freshDataDir(),
): Promise<RunningLattice & { dataDir: string }> {
  await seedEmbeddedDataDir(join(dataDir, 'db'));
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    database: { kind: 'embedded', dataDir: join(dataDir, 'db') },
    rateLimit: { perSecond: 1000, burst: 1000 },
    outbound: LOOPBACK_OUTBOUND,
    ...overrides,
  });
  const server = await startLattice(config, { logger: false });
  return { ...server, dataDir };
}
