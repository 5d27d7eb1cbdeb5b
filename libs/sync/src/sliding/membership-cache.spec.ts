import type { SyncService } from '../sync-service';
import { MembershipCache } from './membership-cache';
import type { MembershipRow, SlidingRoomReader } from './sliding-room-reader';

const row = (roomId: string, membership: string, activity: bigint): MembershipRow => ({
  roomId,
  membership,
  membershipPos: 1n,
  membershipSender: '@me:hs',
  activity,
  encrypted: false,
  roomType: null,
});

/** A database of the user's rooms, and the rooms with events by position, as the cache reads them. */
function fakeStore() {
  const rooms = new Map<string, MembershipRow>();
  const eventsAt = new Map<bigint, string>();
  const reads: Array<string[] | 'all'> = [];
  const reader = {
    localMemberships: async (_user: string, _types: boolean, only?: string[]) => {
      reads.push(only ?? 'all');
      return [...rooms.values()].filter((r) => !only || only.includes(r.roomId));
    },
    remoteInvites: async () => [],
  } as unknown as SlidingRoomReader;
  const sync = {
    reader: {
      roomsWithEvents: async (after: bigint, upTo: bigint) =>
        new Set([...eventsAt].filter(([pos]) => pos > after && pos <= upTo).map(([, roomId]) => roomId)),
    },
  } as unknown as SyncService;
  return { rooms, eventsAt, reads, cache: new MembershipCache(reader, sync) };
}

describe('MembershipCache', () => {
  it("reads a user's rooms once, then only the rooms with events since", async () => {
    const store = fakeStore();
    store.rooms.set('!a', row('!a', 'join', 1n));
    store.rooms.set('!b', row('!b', 'join', 2n));
    await store.cache.memberships('@me:hs', false, 2n);
    store.rooms.set('!b', row('!b', 'join', 3n));
    store.eventsAt.set(3n, '!b');
    const rows = await store.cache.memberships('@me:hs', false, 3n);
    expect(store.reads).toEqual(['all', ['!b']]);
    expect(rows.find((r) => r.roomId === '!b')!.activity).toBe(3n);
  });

  it('drops a room the user no longer has a membership of', async () => {
    const store = fakeStore();
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    store.rooms.delete('!a');
    store.eventsAt.set(2n, '!a');
    expect(await store.cache.memberships('@me:hs', false, 2n)).toEqual([]);
  });

  it('reads everything again when room types are wanted and the copy has none', async () => {
    const store = fakeStore();
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    await store.cache.memberships('@me:hs', true, 1n);
    expect(store.reads).toEqual(['all', 'all']);
  });
});
