import type { MatrixClient } from 'matrix-js-sdk';
import { eventually, registerClient } from '../support/matrix-client';
import { pushFlows } from '../support/push-flows';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';
import { startServicesDeployment } from '../support/services-deployment';

/**
 * The push service reaches the test gateway on loopback; a lease shorter than the default (yet longer than a
 * push may take: the gateway timeout, 10 s) lets a restarted replica take a dead one's pushers soon.
 */
const PUSH_ENV = { LATTICE_OUTBOUND_ALLOW_RANGES: '127.0.0.0/8,::1/128', LATTICE_PUSH_LEASE_MS: '15000' };

describe('push rules, unread counts and pushers with matrix-js-sdk against services mode behind nginx', () =>
  pushFlows(() => startServicesDeployment({ env: PUSH_ENV })));

describe('the push service under kill -9', () => {
  let deployment: Awaited<ReturnType<typeof startServicesDeployment>>;
  let gateway: TestPushGateway;
  let alice: MatrixClient;
  let roomId: string;
  const pushkeys = ['bob-phone', 'carol-phone'];

  beforeAll(async () => {
    deployment = await startServicesDeployment({ env: PUSH_ENV });
    gateway = await startTestPushGateway();
    alice = await registerClient(deployment.url, 'kill-alice');
    roomId = (await alice.createRoom({ preset: 'public_chat' as never })).room_id;
    for (const [name, pushkey] of [
      ['kill-bob', pushkeys[0]],
      ['kill-carol', pushkeys[1]],
    ]) {
      const member = await registerClient(deployment.url, name);
      await member.joinRoom(roomId);
      await member.setPusher(gateway.pusher(pushkey) as never);
    }
  }, 180_000);

  afterAll(async () => {
    await gateway?.close();
    await deployment?.close();
  });

  // A push in flight when its replica dies may have reached the gateway before the replica could record it:
  // nothing tells the restarted one, and a gateway that does not deduplicate (push-gateway-api asks none to) sees
  // it twice. Each pusher is held by one replica at a time, so that is at most one push per pushkey per kill.
  it('delivers every notification to every pushkey when every push replica is killed while messages arrive, repeating only the push in flight', async () => {
    const sent: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < 40; i++) {
        sent.push((await alice.sendTextMessage(roomId, `message ${i}`)).event_id);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually('some pushes to arrive', () => gateway.received.length >= 6, 30_000);
    await Promise.all([deployment.kill('push-1'), deployment.kill('push-2')]);
    await sending;
    await Promise.all([deployment.restart('push-1'), deployment.restart('push-2')]);

    const arrived = (pushkey: string, eventId: string) =>
      gateway.received.filter((p) => p.pushkey === pushkey && p.notification.event_id === eventId).length;
    await eventually(
      'every push to arrive',
      () => sent.every((id) => pushkeys.every((key) => arrived(key, id) >= 1)),
      60_000,
    );
    // Anything sent twice would have been sent by now: redelivery is immediate after restart, retries come within seconds.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const key of pushkeys) {
      const repeats = sent.reduce((n, id) => n + arrived(key, id) - 1, 0);
      expect(repeats).toBeLessThanOrEqual(1);
    }
  }, 180_000);
});
