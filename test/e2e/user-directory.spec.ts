import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

type Answer = { results: Array<{ user_id: string; display_name?: string }>; limited: boolean };

/** POST /user_directory/search on the wire (client-server-api "User Directory"). */
describe('user directory search', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  const enc = encodeURIComponent;
  const search = async (who: Account, search_term: string, limit?: number) =>
    (await raw.call(who, 'POST', '/user_directory/search', { search_term, limit })).body as unknown as Answer;
  const ids = (answer: Answer) => answer.results.map((r) => r.user_id);
  const named = async (localpart: string, displayname: string) => {
    const account = await raw.register(localpart);
    await raw.call(account, 'PUT', `/profile/${enc(account.userId)}/displayname`, { displayname });
    return account;
  };
  const room = async (creator: Account, preset: 'public_chat' | 'private_chat', ...members: Account[]) => {
    const roomId = (await raw.call(creator, 'POST', '/createRoom', { preset, invite: members.map((m) => m.userId) }))
      .body.room_id as string;
    for (const m of members) await raw.call(m, 'POST', `/join/${enc(roomId)}`, {});
    return roomId;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await named('dir-alice', 'Alice Liddell');
  }, 60_000);
  afterAll(async () => server.close());

  it('finds a user who shares a private room, by display name and by user ID', async () => {
    const bob = await named('dir-bob', 'Bob Marley');
    await room(alice, 'private_chat', bob);
    expect(ids(await search(alice, 'marley'))).toEqual([bob.userId]);
    expect(ids(await search(alice, 'dir-bob'))).toEqual([bob.userId]);
    expect((await search(alice, 'bob m')).results[0]).toEqual({ user_id: bob.userId, display_name: 'Bob Marley' });
  });

  it('finds a user in a public room the searcher is not in, but not one in a private room', async () => {
    const carol = await named('dir-carol', 'Carol Public');
    const dan = await named('dir-dan', 'Dan Hidden');
    await room(carol, 'public_chat');
    await room(dan, 'private_chat');
    expect(ids(await search(alice, 'carol'))).toEqual([carol.userId]);
    expect(ids(await search(alice, 'hidden'))).toEqual([]);
  });

  it('follows profile changes and memberships at once', async () => {
    const erin = await named('dir-erin', 'Erin Before');
    const roomId = await room(alice, 'private_chat', erin);
    await raw.call(erin, 'PUT', `/profile/${enc(erin.userId)}/displayname`, { displayname: 'Erin Afterwards' });
    expect(ids(await search(alice, 'afterwards'))).toEqual([erin.userId]);
    await raw.call(erin, 'POST', `/rooms/${enc(roomId)}/leave`, {});
    expect(ids(await search(alice, 'afterwards'))).toEqual([]);
  });

  it('ranks names that start with the term first and says when it cut the list short', async () => {
    const members = [
      await named('dir-zz1', 'Xavier Quux'),
      await named('dir-zz2', 'Quux Xavier'),
      await named('dir-zz3', 'Another Quux'),
    ];
    await room(alice, 'private_chat', ...members);
    const first = await search(alice, 'quux', 2);
    expect(first.limited).toBe(true);
    expect(first.results).toHaveLength(2);
    expect(first.results[0].display_name).toBe('Quux Xavier');
    expect((await search(alice, 'quux', 10)).limited).toBe(false);
  });

  it('treats LIKE wildcards in the term literally', async () => {
    expect(ids(await search(alice, '%'))).toEqual([]);
  });
});
