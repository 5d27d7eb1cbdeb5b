import { InProcessBus } from '@lattice/bus';
import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import type { FederationRoomReads } from '@lattice/rooms';
import type { PresenceStore } from '@lattice/streams';
import { PresenceEduReceiver, presenceUpdateOf } from './presence-edu';

const NOW = 1_700_000_000_000;

describe('an m.presence push entry from another server', () => {
  it("becomes the user's presence, last active the given time before it arrived", () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        {
          user_id: '@bob:remote.example',
          presence: 'unavailable',
          status_msg: 'lunch',
          last_active_ago: 5_000,
          currently_active: false,
        },
        NOW,
      ),
    ).toEqual({
      userId: '@bob:remote.example',
      record: { state: 'unavailable', statusMsg: 'lunch', lastActiveTs: NOW - 5_000, currentlyActive: false },
    });
  });

  it('takes currently_active as false when absent', () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        { user_id: '@bob:remote.example', presence: 'online', last_active_ago: 0 },
        NOW,
      )?.record.currentlyActive,
    ).toBe(false);
  });

  it("is ignored when it is about another server's user", () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        { user_id: '@alice:ours.example', presence: 'online', last_active_ago: 0 },
        NOW,
      ),
    ).toBeUndefined();
  });

  it.each([
    ['an unknown state', { user_id: '@bob:remote.example', presence: 'busy', last_active_ago: 0 }],
    ['no last_active_ago', { user_id: '@bob:remote.example', presence: 'online' }],
    ['a negative last_active_ago', { user_id: '@bob:remote.example', presence: 'online', last_active_ago: -1 }],
    ['no user ID', { presence: 'online', last_active_ago: 0 }],
    ['not an object', 'online'],
  ])('is ignored with %s', (_what, entry) => {
    expect(presenceUpdateOf('remote.example', entry, NOW)).toBeUndefined();
  });
});

describe('m.presence EDUs received', () => {
  const push = { push: [{ user_id: '@bob:remote.example', presence: 'online', last_active_ago: 0 }] };

  function receiver(reads: { joined: string[]; partialStateServers: string[] }) {
    const bus = new InProcessBus();
    const store = { change: jest.fn().mockResolvedValue(undefined) };
    const reader = {
      roomsOfUsers: jest.fn(
        async (userIds: string[]) =>
          new Map(userIds.map((id) => [id, reads.joined.includes(id) ? [{ roomId: '!r:x' }] : []])),
      ),
      partialStateRooms: jest.fn(async () => [
        { roomId: '!p:x', joinEventId: '$j', servers: reads.partialStateServers },
      ]),
    };
    const presence = new PresenceEduReceiver(
      store as unknown as PresenceStore,
      reader as unknown as FederationRoomReads,
      bus,
    );
    presence.onModuleInit();
    return { bus, store, presence };
  }

  function joinOf(userId: string): OutputRoomEvent {
    return {
      roomId: '!r:x',
      eventId: '$join',
      streamPos: '1',
      membershipOf: userId,
      pdu: { type: 'm.room.member', state_key: userId, content: { membership: 'join' } } as unknown as Pdu,
    };
  }

  it('stores the presence of a user in a room here', async () => {
    const { store, presence } = receiver({ joined: ['@bob:remote.example'], partialStateServers: [] });
    await presence.receive('remote.example', push);
    expect(store.change).toHaveBeenCalledWith('@bob:remote.example', expect.objectContaining({ state: 'online' }));
  });

  it("stores the presence of a user of a partial-state room's server, whose members are not all known", async () => {
    const { store, presence } = receiver({ joined: [], partialStateServers: ['remote.example'] });
    await presence.receive('remote.example', push);
    expect(store.change).toHaveBeenCalledTimes(1);
  });

  it('keeps the presence of a user in no room here until a join makes it relevant', async () => {
    const reads = { joined: [] as string[], partialStateServers: [] };
    const { bus, store, presence } = receiver(reads);
    await presence.receive('remote.example', push);
    expect(store.change).not.toHaveBeenCalled();
    reads.joined.push('@bob:remote.example');
    await bus.publish('output.room', joinOf('@carol:ours.example'));
    await bus.close();
    expect(store.change).toHaveBeenCalledWith('@bob:remote.example', expect.objectContaining({ state: 'online' }));
  });

  it('never stores the presence of a user who stays in no room here', async () => {
    const { bus, store, presence } = receiver({ joined: [], partialStateServers: ['elsewhere.example'] });
    await presence.receive('remote.example', push);
    await bus.publish('output.room', joinOf('@carol:ours.example'));
    await bus.close();
    expect(store.change).not.toHaveBeenCalled();
  });
});
