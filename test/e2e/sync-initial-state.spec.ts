import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface ClientEvent {
  type: string;
  state_key?: string;
  sender: string;
  content: Record<string, unknown>;
}
interface JoinedRoom {
  timeline: { events: ClientEvent[] };
  state: { events: ClientEvent[] };
}

/**
 * The state section of an initial /sync (client-server-api GET /sync): the room's state at the start of the
 * timeline, not after it, and with lazy-loaded members only the member events of the timeline's senders and of the
 * user ("Lazy-loading room members").
 */
describe('the state section of an initial /sync', () => {
  jest.setTimeout(30_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  let dave: Account;

  const initialSync = async (account: Account, roomId: string, filter: object) => {
    const query = new URLSearchParams({ timeout: '0', filter: JSON.stringify(filter) });
    const body = (await raw.call(account, 'GET', `/sync?${query}`)).body as {
      rooms: { join: Record<string, JoinedRoom> };
    };
    return body.rooms.join[roomId];
  };
  const membersIn = (room: JoinedRoom) =>
    room.state.events
      .filter((e) => e.type === 'm.room.member')
      .map((e) => e.state_key)
      .sort();
  const send = (account: Account, roomId: string, type: string, content: object, stateKey?: string) =>
    raw.call(
      account,
      'PUT',
      stateKey === undefined
        ? `/rooms/${encodeURIComponent(roomId)}/send/${type}/t${Math.random()}`
        : `/rooms/${encodeURIComponent(roomId)}/state/${type}/${stateKey}`,
      content,
    );

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((n) => raw.register(`is-${n}`)),
    );
  }, 60_000);
  afterAll(async () => server.close());

  async function roomWithFourMembers(): Promise<string> {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'one' })).body
      .room_id as string;
    for (const member of [bob, carol, dave]) await raw.call(member, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    return roomId;
  }

  it('lists only the timeline senders and the user as members when members are lazy-loaded', async () => {
    const roomId = await roomWithFourMembers();
    await send(carol, roomId, 'm.room.message', { msgtype: 'm.text', body: 'from carol' });
    await send(dave, roomId, 'm.room.message', { msgtype: 'm.text', body: 'from dave' });
    const timeline = { limit: 2 };

    const lazy = await initialSync(alice, roomId, { room: { timeline, state: { lazy_load_members: true } } });
    expect(lazy.timeline.events.map((e) => e.sender)).toEqual([carol.userId, dave.userId]);
    expect(membersIn(lazy)).toEqual([alice.userId, carol.userId, dave.userId].sort());
    expect(lazy.state.events.some((e) => e.type === 'm.room.name')).toBe(true);

    const full = await initialSync(alice, roomId, { room: { timeline } });
    expect(membersIn(full)).toEqual([alice.userId, bob.userId, carol.userId, dave.userId].sort());
  });

  it('gives the state as it was at the start of the timeline when state changed since', async () => {
    const roomId = await roomWithFourMembers();
    await send(bob, roomId, 'm.room.message', { msgtype: 'm.text', body: 'from bob' });
    await send(alice, roomId, 'm.room.name', { name: 'two' }, '');
    await send(carol, roomId, 'm.room.message', { msgtype: 'm.text', body: 'from carol' });

    const room = await initialSync(bob, roomId, {
      room: { timeline: { limit: 3 }, state: { lazy_load_members: true } },
    });
    expect(room.timeline.events.map((e) => e.type)).toEqual(['m.room.message', 'm.room.name', 'm.room.message']);
    expect(room.state.events.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'one' });
    expect(membersIn(room)).toEqual([alice.userId, bob.userId, carol.userId].sort());
  });
});
