import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import { changesState, heardTimeline, latestGaps, movesMembers, RecentRoomEvents, roomsOf } from './recent-room-events';

const event = (streamPos: number, roomId: string, type = 'm.room.message', stateKey?: string): OutputRoomEvent => ({
  roomId,
  eventId: `$${streamPos}`,
  streamPos: String(streamPos),
  pdu: {
    type,
    sender: '@a:hs',
    depth: streamPos,
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
  } as unknown as Pdu,
});
/** As the room-server announces an event of a room it has: with the room's version. */
const announced = (streamPos: number, roomId: string, type = 'm.room.message', stateKey?: string): OutputRoomEvent => ({
  ...event(streamPos, roomId, type, stateKey),
  roomVersion: '12',
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

  it("builds a room's timeline from the events heard, newest first, after a position and up to a limit", () => {
    const recent = new RecentRoomEvents();
    recent.remember(announced(1, '!a'));
    recent.remember({ ...announced(2, '!a'), txn: { deviceId: 'PHONE', txnId: 't1' } });
    recent.remember(announced(3, '!b'));
    recent.remember(announced(4, '!a'));
    const heard = recent.between(0n, 4n)!;
    expect(heardTimeline(heard, '!a', 0n, 10)!.map((e) => e.eventId)).toEqual(['$4', '$2', '$1']);
    expect(heardTimeline(heard, '!a', 1n, 2)!.map((e) => e.eventId)).toEqual(['$4', '$2']);
    expect(heardTimeline(heard, '!a', 0n, 10)![1]).toMatchObject({ txnId: 't1', senderDeviceId: 'PHONE', depth: 2n });
    expect(heardTimeline(heard, '!c', 0n, 10)).toEqual([]);
  });

  it('leaves to the store a timeline with a state event, a redaction, or an event whose body it no longer keeps', () => {
    const recent = new RecentRoomEvents();
    recent.remember(announced(1, '!a'));
    recent.remember(announced(2, '!b', 'm.room.topic', ''));
    recent.remember(announced(3, '!c', 'm.room.redaction'));
    recent.remember(event(4, '!d'));
    const heard = recent.between(0n, 4n)!;
    expect(['!a', '!b', '!c', '!d'].map((roomId) => heardTimeline(heard, roomId, 0n, 10) !== undefined)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    for (let p = 5; p <= 1_004; p++) recent.remember(announced(p, '!e'));
    expect(heardTimeline(recent.between(0n, 1_004n)!, '!a', 0n, 10)).toBeUndefined();
    expect(heardTimeline(recent.between(4n, 1_004n)!, '!e', 4n, 10)).toHaveLength(10);
  });
});
