import { LogOutput } from './log-output';

describe('the log output', () => {
  function output() {
    const writes = { stdout: [] as string[], stderr: [] as string[] };
    const log = new LogOutput({
      stdout: { write: (text: string) => writes.stdout.push(text) },
      stderr: { write: (text: string) => writes.stderr.push(text) },
    });
    return { log, writes };
  }

  it("writes a turn's lines to each stream once, in order, after the turn", async () => {
    const { log, writes } = output();
    log.write('stdout', 'one\n');
    log.write('stderr', 'oops\n');
    log.write('stdout', 'two\n');
    expect(writes.stdout).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual({ stdout: ['one\ntwo\n'], stderr: ['oops\n'] });
  });

  it('writes what is pending when flushed (as the process exits)', () => {
    const { log, writes } = output();
    log.write('stdout', 'last words\n');
    log.flush();
    expect(writes.stdout).toEqual(['last words\n']);
  });
});
