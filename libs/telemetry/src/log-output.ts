type StreamName = 'stdout' | 'stderr';

/**
 * Where the loggers' lines go: to stdout and stderr, once per turn of the
 * event loop. A busy server logs a line per request (the access log), and a
 * write to a file or pipe is a system call each: under the fan-out bench the
 * client API process spent a tenth of its CPU logging, a line at a time.
 * What is pending when the process exits is written then, so only a kill
 * that gives no exit loses the last turn's lines.
 */
export class LogOutput {
  private readonly pending: Record<StreamName, string[]> = { stdout: [], stderr: [] };
  private scheduled = false;

  constructor(private readonly streams: Record<StreamName, { write(text: string): unknown }>) {}

  write(stream: StreamName, text: string): void {
    this.pending[stream].push(text);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    for (const name of ['stdout', 'stderr'] as const) {
      const lines = this.pending[name];
      if (lines.length === 0) continue;
      this.pending[name] = [];
      this.streams[name].write(lines.join(''));
    }
  }
}

/** The process's log output, shared by every logger (and written out when the process exits). */
export const logOutput = new LogOutput({
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
});
process.once('exit', () => logOutput.flush());
