import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface ClientEvent {
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}
type Rooms = Record<'join' | 'invite', Record<string, { timeline: { events: ClientEvent[] } } | undefined>>;

/** client-server-api "Ignoring Users": what a client that ignores someone is no longer sent. */
describe('ignoring users', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let bob: Account;
  let troll: Account;
  let roomId: string;
  let txn = 0;

  const room = () => encodeURIComponent(roomId);

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    bob = await raw.register('ignorer');
    troll = await raw.register('troll');
    roomId = (await raw.call(troll, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await raw.call(bob, 'POST', `/join/${room()}`, {});
    await raw.call(bob, 'PUT', `/user/${encodeURIComponent(bob.userId)}/account_data/m.ignored_user_list`, {
      ignored_users: { [troll.userId]: {} },
    });
    await raw.call(troll, 'PUT', `/rooms/${room()}/send/m.room.message/t${txn++}`, {
      msgtype: 'm.text',
      body: 'ignore me',
    });
    await raw.call(troll, 'PUT', `/rooms/${room()}/state/m.room.name/`, { name: 'renamed by the troll' });
  }, 60_000);
  afterAll(async () => server.close());

  it("leaves the ignored user's messages out of /sync but keeps their state events", async () => {
    const events = ((await raw.call(bob, 'GET', '/sync')).body.rooms as Rooms).join[roomId]!.timeline.events;
    expect(events.some((e) => e.type === 'm.room.message')).toBe(false);
    expect(events.some((e) => e.type === 'm.room.name' && e.sender === troll.userId)).toBe(true);
  });

  it("leaves the ignored user's messages out of /messages", async () => {
    const chunk = (await raw.call(bob, 'GET', `/rooms/${room()}/messages?dir=b`)).body.chunk as ClientEvent[];
    expect(chunk.some((e) => e.type === 'm.room.message')).toBe(false);
  });

  it('does not show an invite from the ignored user', async () => {
    const other = (await raw.call(troll, 'POST', '/createRoom', { invite: [bob.userId] })).body.room_id as string;
    expect(((await raw.call(bob, 'GET', '/sync')).body.rooms as Rooms).invite[other]).toBeUndefined();
  });
});
