import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface RoomSection {
  timeline: { events: Array<{ event_id: string; type: string; content: Record<string, unknown>; unsigned: any }> };
  state: { events: Array<{ type: string }> };
}

/**
 * An incremental /sync whose worker heard every event since the token builds the rooms' timelines from those
 * events (RecentRoomEvents); what only the store knows still comes: the sending device's transaction ID, a
 * state change's previous content, a redaction.
 */
describe('an incremental /sync after the events its worker heard', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let phone: Account;
  let laptop: Account;
  let roomId: string;
  const enc = encodeURIComponent;
  const room = async (account: Account, since: string) =>
    ((await raw.sync(account, since)).rooms!.join as Record<string, RoomSection>)[roomId];

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    phone = await raw.register('heard');
    const login = await raw.call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'heard' },
      password: 'correct horse',
    });
    laptop = {
      userId: phone.userId,
      deviceId: login.body.device_id as string,
      token: login.body.access_token as string,
    };
    roomId = (await raw.call(phone, 'POST', '/createRoom', {})).body.room_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  it('gives the transaction ID to the device that sent the message, and to no other', async () => {
    const since = (await raw.sync(phone)).next_batch;
    const waiting = raw.sync(laptop, since, 10_000);
    const sent = await raw.call(phone, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/txn-1`, {
      msgtype: 'm.text',
      body: 'from the phone',
    });
    const onLaptop = ((await waiting).rooms!.join as Record<string, RoomSection>)[roomId];
    const onPhone = await room(phone, since);
    expect(onPhone.timeline.events.map((e) => [e.event_id, e.unsigned.transaction_id])).toEqual([
      [sent.body.event_id, 'txn-1'],
    ]);
    expect(onLaptop.timeline.events.map((e) => [e.event_id, e.unsigned.transaction_id])).toEqual([
      [sent.body.event_id, undefined],
    ]);
  });

  it('gives a state change with the content it replaced', async () => {
    await raw.call(phone, 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'first' });
    const since = (await raw.sync(phone)).next_batch;
    await raw.call(phone, 'PUT', `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'second' });
    const [topic] = (await room(phone, since)).timeline.events;
    expect(topic).toMatchObject({ type: 'm.room.topic', content: { topic: 'second' } });
    expect(topic.unsigned.prev_content).toEqual({ topic: 'first' });
  });

  it('gives a message redacted since the token as redacted, with the redaction after it', async () => {
    const since = (await raw.sync(phone)).next_batch;
    const sent = await raw.call(phone, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/txn-2`, {
      msgtype: 'm.text',
      body: 'regretted',
    });
    await raw.call(phone, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(sent.body.event_id as string)}/r1`, {});
    const events = (await room(laptop, since)).timeline.events;
    expect(events.map((e) => e.type)).toEqual(['m.room.message', 'm.room.redaction']);
    expect(events[0].content).toEqual({});
    expect(events[0].unsigned.redacted_because).toMatchObject({ type: 'm.room.redaction' });
  });
});
