import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MatrixClient } from 'matrix-js-sdk';
import { freePort } from '../../tools/net/free-port';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { eventually, newClient, registerClient } from '../support/matrix-client';
import { servicesEnv } from '../support/services-env';

/**
 * The single process (in-process bus, which keeps nothing) on Postgres, killed with SIGKILL right after the
 * server acknowledged a message: the push evaluation of what it acknowledged must not be lost.
 */
describe('push evaluation of the single process under kill -9', () => {
  let child: ChildProcess | undefined;
  let gateway: TestPushGateway;
  let url: string;
  const env: Record<string, string> = {};

  async function start(): Promise<void> {
    child = spawn(process.execPath, [join(__dirname, '../../dist/apps/homeserver/src/main.js')], {
      env: { ...process.env, ...env },
      stdio: [
        'ignore',
        process.env.LATTICE_TEST_LOGS ? 'inherit' : 'ignore',
        process.env.LATTICE_TEST_LOGS ? 'inherit' : 'ignore',
      ],
    });
    await eventually(
      'the server to answer',
      () =>
        fetch(`${url}/_matrix/client/versions`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
    );
  }

  async function kill(): Promise<void> {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    child = undefined;
  }

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    Object.assign(env, {
      LATTICE_HOST: '127.0.0.1',
      LATTICE_PORT: String(port),
      LATTICE_SERVER_NAME: 'localhost',
      LATTICE_DATA_DIR: mkdtempSync(join(tmpdir(), 'lattice-push-kill-')),
      LATTICE_DATABASE_URL: await createScratchDatabase(servicesEnv().postgresUrl, 'lattice_push_kill'),
      LATTICE_OUTBOUND_ALLOW_RANGES: '127.0.0.0/8,::1/128',
    });
    gateway = await startTestPushGateway();
    await start();
  }, 120_000);

  afterAll(async () => {
    if (child) await kill();
    await gateway?.close();
    if (env.LATTICE_DATABASE_URL) await dropScratchDatabase(env.LATTICE_DATABASE_URL);
  });

  it('pushes, after the restart, every message acknowledged before each kill -9, once per pushkey but for a push in flight', async () => {
    let alice: MatrixClient = await registerClient(url, 'kill-alice');
    const roomId = (await alice.createRoom({ preset: 'public_chat' as never })).room_id;
    const member = await registerClient(url, 'kill-bob');
    await member.joinRoom(roomId);
    await member.setPusher(gateway.pusher('bob-phone') as never);

    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++)
        acknowledged.push((await alice.sendTextMessage(roomId, `round ${round} message ${i}`)).event_id);
      // At once after the last acknowledgement: its evaluation has likely not run yet.
      await kill();
      await start();
      alice = await newClient({
        baseUrl: url,
        userId: alice.getUserId()!,
        accessToken: alice.getAccessToken()!,
        deviceId: alice.getDeviceId()!,
      });
    }

    const arrived = (eventId: string) =>
      gateway.received.filter((p) => p.pushkey === 'bob-phone' && p.notification.event_id === eventId).length;
    await eventually('every acknowledged message pushed', () => acknowledged.every((id) => arrived(id) >= 1), 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    // A push the gateway took just before a kill, and whose outbox row the process could not delete, goes again: one per kill at most.
    expect(acknowledged.reduce((n, id) => n + arrived(id) - 1, 0)).toBeLessThanOrEqual(3);
  }, 300_000);
});
