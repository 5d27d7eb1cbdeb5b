import { matchesFilters, selectRooms, type ListedRoom } from './room-list';

const room = (roomId: string, activity: number, extra: Partial<ListedRoom> = {}): ListedRoom => ({
  roomId,
  membership: 'join',
  activity: BigInt(activity),
  isDm: false,
  encrypted: false,
  roomType: null,
  tags: [],
  ...extra,
});

describe('selectRooms', () => {
  const rooms = [room('!a', 1), room('!b', 3), room('!c', 2), room('!d', 4)];

  it('orders rooms by activity, most recent first, and takes each inclusive range', () => {
    const { lists } = selectRooms(
      rooms,
      { all: { ranges: [[1, 2]], timeline_limit: 1, required_state: [] } },
      new Map(),
    );
    expect(lists.all).toEqual({ count: 4, ops: [{ op: 'SYNC', range: [1, 2], room_ids: ['!b', '!c'] }] });
  });

  it('combines the configs of a room two lists match: larger timeline, union of required_state', () => {
    const selection = selectRooms(
      rooms,
      {
        one: { ranges: [[0, 0]], timeline_limit: 1, required_state: [['m.room.name', '']] },
        two: { ranges: [[0, 0]], timeline_limit: 5, required_state: [['m.room.topic', '']] },
      },
      new Map(),
    );
    expect(selection.rooms.get('!d')).toEqual({
      config: {
        timelineLimit: 5,
        requiredState: [
          { include: [['m.room.name', '']], exclude: [], lazy: false },
          { include: [['m.room.topic', '']], exclude: [], lazy: false },
        ],
      },
      lists: ['one', 'two'],
    });
  });

  it('counts the filtered rooms, whatever the range', () => {
    const { lists } = selectRooms(
      [...rooms, room('!e', 5, { isDm: true })],
      { dms: { ranges: [[0, 0]], timeline_limit: 1, required_state: [], filters: { is_dm: true } } },
      new Map(),
    );
    expect(lists.dms.count).toBe(1);
  });
});

describe('matchesFilters', () => {
  it('lets not_room_types win over room_types', () => {
    expect(
      matchesFilters(
        room('!s', 1, { roomType: 'm.space' }),
        { room_types: ['m.space'], not_room_types: ['m.space'] },
        undefined,
      ),
    ).toBe(false);
  });

  it('lets not_tags win over tags', () => {
    expect(matchesFilters(room('!t', 1, { tags: ['a', 'b'] }), { tags: ['a'], not_tags: ['b'] }, undefined)).toBe(
      false,
    );
  });

  it('reads is_invited as is_invite', () => {
    expect(matchesFilters(room('!i', 1, { membership: 'invite' }), { is_invited: true }, undefined)).toBe(true);
    expect(matchesFilters(room('!j', 1), { is_invited: true }, undefined)).toBe(false);
  });

  it('keeps to the children of the named spaces', () => {
    expect(matchesFilters(room('!child', 1), { spaces: ['!space'] }, new Set(['!child']))).toBe(true);
    expect(matchesFilters(room('!other', 1), { spaces: ['!space'] }, new Set(['!child']))).toBe(false);
  });
});
