import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/**
 * Lazy-loaded members in an initial /sync (client-server-api "Lazy-loading room members"): the state
 * section carries the membership of the timeline's senders and the user's own, not the other members'.
 */
describe('lazy-loaded members in an initial /sync', () => {
  jest.setTimeout(30_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  let roomId: string;

  const memberEvents = async (filter: object) => {
    const query = new URLSearchParams({ filter: JSON.stringify(filter) });
    const response = await fetch(`${server.url}/_matrix/client/v3/sync?${query}`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    const body = (await response.json()) as {
      rooms: {
        join: Record<
          string,
          { state: { events: Array<{ type: string; state_key: string; content: { displayname?: string } }> } }
        >;
      };
    };
    return body.rooms.join[roomId].state.events.filter((e) => e.type === 'm.room.member');
  };
  const membersInState = async (filter: object) => (await memberEvents(filter)).map((e) => e.state_key).sort();

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('lazy-alice');
    bob = await raw.register('lazy-bob');
    carol = await raw.register('lazy-carol');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    for (const who of [bob, carol]) await raw.call(who, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    // A later member event of alice's: her state entry is in a later layer of the room's state than her join.
    await raw.call(
      alice,
      'PUT',
      `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(alice.userId)}`,
      {
        membership: 'join',
        displayname: 'Alice Renamed',
      },
    );
    for (let i = 0; i < 3; i++)
      await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/lazy${i}`, {
        msgtype: 'm.text',
        body: `message ${i}`,
      });
  }, 60_000);
  afterAll(async () => server.close());

  it("sends the timeline's senders and the user's own membership, not the other members'", async () => {
    const lazy = { room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } };
    expect(await membersInState(lazy)).toEqual([alice.userId, bob.userId].sort());
    expect((await memberEvents(lazy)).find((e) => e.state_key === alice.userId)!.content.displayname).toBe(
      'Alice Renamed',
    );
  });

  it('sends every member without lazy loading', async () => {
    expect(await membersInState({ room: { timeline: { limit: 2 } } })).toEqual(
      [alice.userId, bob.userId, carol.userId].sort(),
    );
  });
});
