import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import { changesState, latestGaps, movesMembers, RecentRoomEvents, roomsOf } from './recent-room-events';

const event = (streamPos: number, roomId: string, type = 'm.room.message', stateKey?: string): OutputRoomEvent => ({
  roomId,
  eventId: `$${streamPos}`,
  streamPos: String(streamPos),
  pdu: { type, sender: '@a:hs', ...(stateKey !== undefined ? { state_key: stateKey } : {}) } as unknown as Pdu,
});

describe('RecentRoomEvents', () => {
  it('gives the events between two positions when it heard every one of them', () => {
    const recent = new RecentRoomEvents();
    for (const e of [event(3, '!b'), event(1, '!a'), event(2, '!a')]) recent.remember(e);
    expect(recent.between(0n, 3n)!.map((e) => e.streamPos)).toEqual([1n, 2n, 3n]);
    expect(roomsOf(recent.between(1n, 3n)!)).toEqual(new Set(['!a', '!b']));
    expect(recent.between(3n, 3n)).toEqual([]);
  });

  it('knows nothing of a range with a position it did not hear', () => {
    const recent = new RecentRoomEvents();
    recent.remember(event(1, '!a'));
    recent.remember(event(3, '!a'));
    expect(recent.between(0n, 3n)).toBeUndefined();
    expect(recent.between(0n, 1n)).toHaveLength(1);
  });

  it('ignores positions of history (zero or below)', () => {
    const recent = new RecentRoomEvents();
    recent.remember(event(0, '!a'));
    recent.remember(event(-4, '!a'));
    expect(recent.between(-5n, 0n)).toBeUndefined();
  });

  it('tells membership events apart', () => {
    const recent = new RecentRoomEvents();
    recent.remember(event(1, '!a'));
    recent.remember(event(2, '!a', 'm.room.member', '@b:hs'));
    expect(movesMembers(recent.between(0n, 1n)!)).toBe(false);
    expect(movesMembers(recent.between(0n, 2n)!)).toBe(true);
  });

  it("knows a room's state changed by a state event of its own, or by resolution", () => {
    const recent = new RecentRoomEvents();
    recent.remember(event(1, '!a'));
    recent.remember(event(2, '!b', 'm.room.topic', ''));
    recent.remember({ ...event(3, '!c'), stateResolved: true });
    const heard = recent.between(0n, 3n)!;
    expect(['!a', '!b', '!c'].map((roomId) => changesState(heard, roomId))).toEqual([false, true, true]);
  });

  it('gives the latest timeline gap of each room that has one', () => {
    const recent = new RecentRoomEvents();
    recent.remember({ ...event(1, '!a'), gapBefore: true });
    recent.remember(event(2, '!b'));
    recent.remember({ ...event(3, '!a'), gapBefore: true });
    recent.remember(event(4, '!a'));
    expect(latestGaps(recent.between(0n, 4n)!)).toEqual(new Map([['!a', 3n]]));
  });
});
