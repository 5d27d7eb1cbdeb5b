import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/net/free-port';
import { seedEmbeddedDataDir } from '../support/embedded-template';
import { eventually } from '../support/matrix-client';

/**
 * SIGTERM, as a rolling restart sends it: the process answers what it is serving (a /sync long-poll here), closes
 * its database after its HTTP server and exits 0. Nest's own signal handler used to run beside Lattice's: it
 * re-raised the signal once its hooks had run, ending the process by the signal while Lattice's handler still
 * closed the database and flushed traces, and the two closes raced, so answers still being built met a closed pool.
 */
describe('the homeserver stopped with SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-shutdown-'));
  let child: ChildProcess | undefined;
  // A failure before the SIGTERM leaves the server running: it goes with the test file.
  afterAll(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the long-poll in flight and exits 0, logging no error', async () => {
    await seedEmbeddedDataDir(join(dataDir, 'db'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/_matrix/client/v3`;
    const server = spawn(process.execPath, [join(__dirname, '../../dist/apps/homeserver/src/main.js')], {
      env: {
        ...process.env,
        LATTICE_HOST: '127.0.0.1',
        LATTICE_PORT: String(port),
        LATTICE_SERVER_NAME: 'localhost',
        LATTICE_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = server;
    let logged = '';
    server.stdout.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      server.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await eventually(
      'the server to answer',
      () =>
        fetch(`${url.replace('/v3', '')}/versions`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
    );
    const registered = (await (
      await fetch(`${url}/register`, {
        method: 'POST',
        body: JSON.stringify({ username: 'leaving', password: 'a rolling restart', auth: { type: 'm.login.dummy' } }),
      })
    ).json()) as { access_token: string };
    const auth = { authorization: `Bearer ${registered.access_token}` };
    const first = (await (await fetch(`${url}/sync`, { headers: auth })).json()) as { next_batch: string };

    const longPoll = fetch(`${url}/sync?since=${first.next_batch}&timeout=3000`, { headers: auth });
    await new Promise((r) => setTimeout(r, 500));
    server.kill('SIGTERM');

    expect((await longPoll).status).toBe(200);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(logged).not.toMatch(/ERROR/);
  }, 120_000);
});
