import { HeardKeptValues } from './heard-kept-values';
import { RecentRoomEvents } from './recent-room-events';

describe('HeardKeptValues', () => {
  it('lets the least recently used value go first when full', () => {
    const kept = new HeardKeptValues<number>(new RecentRoomEvents(), 2, () => new Set());
    kept.set('a', 1, 0n);
    kept.set('b', 2, 0n);
    expect(kept.get('a', 0n)).toBe(1);
    kept.set('c', 3, 0n);
    expect([kept.get('a', 0n), kept.get('b', 0n), kept.get('c', 0n)]).toEqual([1, undefined, 3]);
  });
});
