import { e2eeFlows } from '../support/e2ee-flows';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient } from '../support/raw-client';

describe('send-to-device and device lists against the embedded server', () => e2eeFlows(() => startEmbeddedServer()));

describe('to-device inboxes across a restart', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  const { register, sync, sendToDevice } = rawClient(() => server.url);

  beforeAll(async () => {
    server = await startEmbeddedServer();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('keeps unacknowledged messages and honours sync tokens issued before the restart', async () => {
    const [sender, recipient] = await Promise.all([register('restart-sender'), register('restart-recipient')]);
    const { next_batch: initial } = await sync(recipient);
    await sendToDevice(sender, 'org.example.before', { [recipient.userId]: { [recipient.deviceId]: {} } });
    const delivered = await sync(recipient, initial);
    expect(delivered.to_device.events.map((e) => e.type)).toEqual(['org.example.before']);

    await server.close();
    server = await startEmbeddedServer({}, server.dataDir);

    expect((await sync(recipient, initial)).to_device.events.map((e) => e.type)).toEqual(['org.example.before']);
    await sendToDevice(sender, 'org.example.after', { [recipient.userId]: { [recipient.deviceId]: {} } });
    expect((await sync(recipient, delivered.next_batch)).to_device.events.map((e) => e.type)).toEqual([
      'org.example.after',
    ]);
  }, 60_000);
});
