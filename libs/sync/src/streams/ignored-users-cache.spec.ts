import type { AccountDataStore } from '@lattice/streams';
import { IgnoredUsersCache } from './ignored-users-cache';

describe('IgnoredUsersCache', () => {
  const list = (...users: string[]) => ({ ignored_users: Object.fromEntries(users.map((u) => [u, {}])) });
  const storeWith = (content: Record<string, unknown> | undefined) => {
    const get = jest.fn(async () => content);
    return { store: { get } as unknown as AccountDataStore, get };
  };

  it('reads the list from the store the first time', async () => {
    const { store, get } = storeWith(list('@troll:x'));
    expect([...(await new IgnoredUsersCache(store).ignoredBy('@me:x', [], 0n, 5n))]).toEqual(['@troll:x']);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('answers a later sync from a token at or before the read from memory', async () => {
    const { store, get } = storeWith(list('@troll:x'));
    const cache = new IgnoredUsersCache(store);
    await cache.ignoredBy('@me:x', [], 0n, 5n);
    await cache.ignoredBy('@me:x', [], 5n, 9n);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('takes a new list from the changes the sync read', async () => {
    const { store } = storeWith(list('@troll:x'));
    const cache = new IgnoredUsersCache(store);
    await cache.ignoredBy('@me:x', [], 0n, 5n);
    const next = await cache.ignoredBy(
      '@me:x',
      [{ roomId: '', type: 'm.ignored_user_list', content: list('@other:x') }],
      5n,
      9n,
    );
    expect([...next]).toEqual(['@other:x']);
  });

  it('reads again for a token past the read, whose changes would not show an earlier write', async () => {
    const { store, get } = storeWith(undefined);
    const cache = new IgnoredUsersCache(store);
    await cache.ignoredBy('@me:x', [], 0n, 5n);
    await cache.ignoredBy('@me:x', [], 7n, 9n);
    expect(get).toHaveBeenCalledTimes(2);
  });
});
