import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../tools/net/free-port';
import { writeRegistration, type TestRegistration } from './appservice-registration';
import { eventually } from './matrix-client';

/** What the service printed: a transaction's event, ephemeral event, to-device message, device lists or key counts. */
export interface Received {
  kind: string;
  data: Record<string, any>;
}

/**
 * An application service built on mautrix-python (test/support/python/mautrix_appservice.py), with
 * ephemeral (MSC2409) and encryption (MSC3202) data on; what it receives is collected in `received`.
 * Its registration (users `@_mx_.*`) is written first, for the homeserver's configuration.
 */
export class MautrixAppservice {
  readonly received: Received[] = [];
  private child: ChildProcess | undefined;

  private constructor(
    private readonly python: string,
    readonly registration: TestRegistration,
    private readonly port: number,
  ) {}

  static async register(python: string): Promise<MautrixAppservice> {
    const port = await freePort();
    const registration = writeRegistration({
      id: 'mautrix',
      url: `http://127.0.0.1:${port}`,
      prefix: '_mx_',
      extra: { receive_ephemeral: true, 'org.matrix.msc3202': true },
    });
    return new MautrixAppservice(python, registration, port);
  }

  /** Starts it against the homeserver at `homeserverUrl` and waits until it listens. */
  async start(homeserverUrl: string): Promise<void> {
    const { id, asToken, hsToken, senderLocalpart } = this.registration;
    const script = join(__dirname, 'python/mautrix_appservice.py');
    this.child = spawn(this.python, [script, String(this.port), homeserverUrl, id, asToken, hsToken, senderLocalpart], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
        this.received.push(JSON.parse(buffer.slice(0, end)) as Received);
        buffer = buffer.slice(end + 1);
      }
    });
    await eventually('the service listening', () => this.received.some((r) => r.kind === 'listening'), 30_000);
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}
