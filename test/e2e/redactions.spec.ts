import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface ClientEvent {
  event_id: string;
  unsigned?: { redacted_because?: Record<string, unknown> };
}

/** A redacted event read again carries the redaction event (client-server-api "Redactions"), on every read path. */
describe('redacted events read again', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let roomId: string;
  let eventId: string;
  let redactionId: string;
  const room = () => encodeURIComponent(roomId);
  const redactedBecause = {
    event_id: expect.any(String),
    type: 'm.room.redaction',
    sender: '@rd-alice:localhost',
    content: { reason: 'typo' },
  };
  const find = (events: ClientEvent[]) => events.find((e) => e.event_id === eventId);

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('rd-alice');
    roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    eventId = (
      await raw.call(alice, 'PUT', `/rooms/${room()}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'teh' })
    ).body.event_id as string;
    await raw.call(alice, 'PUT', `/rooms/${room()}/send/m.room.message/m2`, { msgtype: 'm.text', body: 'after' });
    redactionId = (
      await raw.call(alice, 'PUT', `/rooms/${room()}/redact/${encodeURIComponent(eventId)}/r1`, { reason: 'typo' })
    ).body.event_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  it('on /event', async () => {
    const { body } = await raw.call(alice, 'GET', `/rooms/${room()}/event/${encodeURIComponent(eventId)}`);
    expect((body as unknown as ClientEvent).unsigned?.redacted_because).toMatchObject({
      ...redactedBecause,
      event_id: redactionId,
    });
  });

  it('on /messages', async () => {
    const { body } = await raw.call(alice, 'GET', `/rooms/${room()}/messages?dir=b&limit=50`);
    expect(find(body.chunk as ClientEvent[])?.unsigned?.redacted_because).toMatchObject({
      ...redactedBecause,
      event_id: redactionId,
    });
  });

  it('on /context', async () => {
    const { body } = await raw.call(alice, 'GET', `/rooms/${room()}/context/${encodeURIComponent(eventId)}`);
    expect((body.event as ClientEvent).unsigned?.redacted_because).toMatchObject({
      ...redactedBecause,
      event_id: redactionId,
    });
  });

  it('on /sync', async () => {
    const { body } = await raw.call(alice, 'GET', '/sync?timeout=0');
    const timeline = (body.rooms as { join: Record<string, { timeline: { events: ClientEvent[] } }> }).join[roomId]
      .timeline.events;
    expect(find(timeline)?.unsigned?.redacted_because).toMatchObject({ ...redactedBecause, event_id: redactionId });
  });
});
