import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import { RecentRoomEvents } from '../streams/recent-room-events';
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

/** A database of the user's rooms, and the rooms with events by position, as the cache reads them; `recent`: what the worker heard. */
function fakeStore(recent = new RecentRoomEvents()) {
  const rooms = new Map<string, MembershipRow>();
  const eventsAt = new Map<bigint, string>();
  const reads: Array<string[] | 'all' | 'remote'> = [];
  const reader = {
    localMemberships: async (_user: string, _types: boolean, only?: string[]) => {
      reads.push(only ?? 'all');
      return [...rooms.values()].filter((r) => !only || only.includes(r.roomId));
    },
    remoteInvites: async () => {
      reads.push('remote');
      return [];
    },
  } as unknown as SlidingRoomReader;
  const sync = {
    recent,
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
    expect(store.reads).toEqual(['all', 'remote', ['!b'], 'remote']);
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
    expect(store.reads).toEqual(['all', 'remote', 'all', 'remote']);
  });

  it('moves a joined room on from an event it heard of, reading nothing', async () => {
    const recent = new RecentRoomEvents();
    const store = fakeStore(recent);
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    recent.remember(heard('!a', 2n, { type: 'm.room.message', sender: '@you:hs' }));
    const rows = await store.cache.memberships('@me:hs', false, 2n);
    expect(store.reads).toEqual(['all', 'remote']);
    expect(rows[0].activity).toBe(2n);
  });

  it("reads again the room of the user's own membership event it heard of, and their remote invites", async () => {
    const recent = new RecentRoomEvents();
    const store = fakeStore(recent);
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    store.rooms.set('!a', row('!a', 'leave', 2n));
    recent.remember(heard('!a', 2n, { type: 'm.room.member', state_key: '@me:hs', sender: '@me:hs' }, '@me:hs'));
    const rows = await store.cache.memberships('@me:hs', false, 2n);
    expect(store.reads).toEqual(['all', 'remote', ['!a'], 'remote']);
    expect(rows[0].membership).toBe('leave');
  });

  it("reads again the room of an encryption event it heard of, not the user's remote invites", async () => {
    const recent = new RecentRoomEvents();
    const store = fakeStore(recent);
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    store.rooms.set('!a', { ...row('!a', 'join', 2n), encrypted: true });
    recent.remember(heard('!a', 2n, { type: 'm.room.encryption', state_key: '', sender: '@you:hs' }));
    const rows = await store.cache.memberships('@me:hs', false, 2n);
    expect(store.reads).toEqual(['all', 'remote', ['!a']]);
    expect(rows[0].encrypted).toBe(true);
  });

  it('reads the store when it did not hear every event since', async () => {
    const recent = new RecentRoomEvents();
    const store = fakeStore(recent);
    store.rooms.set('!a', row('!a', 'join', 1n));
    await store.cache.memberships('@me:hs', false, 1n);
    recent.remember(heard('!a', 3n, { type: 'm.room.message', sender: '@you:hs' }));
    store.eventsAt.set(2n, '!a');
    store.eventsAt.set(3n, '!a');
    await store.cache.memberships('@me:hs', false, 3n);
    expect(store.reads).toEqual(['all', 'remote', ['!a'], 'remote']);
  });
});

function heard(
  roomId: string,
  streamPos: bigint,
  pdu: Record<string, unknown>,
  membershipOf?: string,
): OutputRoomEvent {
  return {
    roomId,
    eventId: `$${streamPos}`,
    streamPos: streamPos.toString(),
    pdu: pdu as unknown as Pdu,
    ...(membershipOf ? { membershipOf } : {}),
  };
}
