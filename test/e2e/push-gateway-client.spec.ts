import { parseConfig } from '@lattice/config';
import { GatewayError, PushGatewayClient } from '@lattice/push';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';

const body = (pushkey: string) => ({
  notification: {
    event_id: '$e',
    room_id: '!r:example.org',
    counts: { unread: 1 },
    devices: [{ app_id: 'app', pushkey }],
  },
});

describe('the push gateway client (requests on a thread of their own)', () => {
  let gateway: TestPushGateway;
  let client: PushGatewayClient;
  let refusing: PushGatewayClient;

  beforeAll(async () => {
    gateway = await startTestPushGateway();
    client = new PushGatewayClient(parseConfig({ outbound: { allowRanges: ['127.0.0.0/8'], denyRanges: [] } }));
    refusing = new PushGatewayClient(parseConfig({}));
  });

  afterAll(async () => {
    await client.onModuleDestroy();
    await refusing.onModuleDestroy();
    await gateway.close();
  });

  it('sends what is asked for at once, each answered with its own outcome', async () => {
    gateway.reject.add('gone');
    const answers = await Promise.all(['a', 'gone', 'b'].map((key) => client.notify(gateway.url, body(key))));
    expect(answers.map((a) => a.rejected)).toEqual([[], ['gone'], []]);
    expect(gateway.received.map((p) => p.pushkey).sort()).toEqual(['a', 'b']);
  });

  it('tells a gateway that is down (retry later) from one that refuses the request (never again)', async () => {
    gateway.failNext = 1;
    await expect(client.notify(gateway.url, body('c'))).rejects.toMatchObject({ retry: true });
    await expect(client.notify(gateway.url.replace('/notify', '/elsewhere'), body('c'))).rejects.toMatchObject({
      retry: false,
    });
  });

  it('refuses an address the outbound policy denies, without sending anything', async () => {
    const before = gateway.received.length;
    const refused = refusing.notify(gateway.url, body('d'));
    await expect(refused).rejects.toBeInstanceOf(GatewayError);
    await expect(refused).rejects.toMatchObject({ retry: false });
    await expect(refusing.notify(gateway.url.replace('127.0.0.1', 'localhost'), body('d'))).rejects.toMatchObject({
      retry: false,
    });
    expect(gateway.received.length).toBe(before);
  });
});
