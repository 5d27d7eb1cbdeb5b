import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The python of a virtualenv with heisenbridge installed from PyPI (.ci/run makes one; LATTICE_HEISENBRIDGE_PYTHON). */
export function heisenbridgePython(): string | undefined {
  const python = process.env.LATTICE_HEISENBRIDGE_PYTHON;
  return python && existsSync(python) ? python : undefined;
}

/** Has heisenbridge write its registration file, as its README says to, for a bridge listening on `port`. */
export function generateHeisenbridgeRegistration(python: string, port: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lattice-heisenbridge-')), 'heisenbridge.yaml');
  const generated = spawnSync(
    python,
    ['-m', 'heisenbridge', '-c', path, '--generate', '-l', '127.0.0.1', '-p', String(port)],
    { encoding: 'utf8' },
  );
  if (generated.status !== 0) throw new Error(`heisenbridge --generate failed: ${generated.stderr}`);
  return path;
}

/** heisenbridge itself, against the homeserver at `homeserverUrl`, owned by `owner` (it opens a control room with them). */
export class Heisenbridge {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];

  constructor(
    private readonly python: string,
    private readonly registrationPath: string,
    private readonly homeserverUrl: string,
    private readonly owner: string,
  ) {}

  start(): void {
    const child = spawn(
      this.python,
      ['-m', 'heisenbridge', '-v', '-c', this.registrationPath, '-o', this.owner, this.homeserverUrl],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        this.log.push(line);
        if (process.env.LATTICE_TEST_LOGS) process.stdout.write(`[heisenbridge] ${line}\n`);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
