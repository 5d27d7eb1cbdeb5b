import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ngircd from Debian (apt-get install ngircd), if this machine has it. */
export function ngircdBinary(): string | undefined {
  for (const candidate of ['ngircd', '/usr/sbin/ngircd']) {
    if (!spawnSync(candidate, ['--version']).error) return candidate;
  }
  return undefined;
}

/** A real IRC server (ngircd) on a loopback port, for the bridge tests. */
export async function startIrcServer(binary: string, port: number): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-irc-'));
  const conf = join(dir, 'ngircd.conf');
  writeFileSync(
    conf,
    `[Global]
Name = irc.lattice.test
Info = Lattice test IRC server
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = "Lattice test"
AdminInfo1 = Lattice tests
AdminEMail = tests@lattice.test
[Limits]
MaxConnectionsIP = 0
[Options]
DNS = no
Ident = no
PAM = no
RequireAuthPing = no
`,
  );
  const child: ChildProcess = spawn(binary, ['-n', '-f', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`ngircd exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('ngircd did not listen in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
