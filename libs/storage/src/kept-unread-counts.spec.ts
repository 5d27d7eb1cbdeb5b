import { countsAfterRead, KeptUnreadCounts, unreadCountsOf, type KeptCounts } from './kept-unread-counts';

const kept: KeptCounts = {
  floor: 10n,
  joined: true,
  threadFloors: '',
  upTo: 5n,
  threads: new Map([
    ['main', { notifications: 2, highlights: 1 }],
    ['$root', { notifications: 1, highlights: 0 }],
  ]),
};

describe('kept unread counts', () => {
  it('adds the rows read after the kept position to the kept counts', () => {
    const after = countsAfterRead(kept, {
      floor: 10n,
      joined: true,
      threadFloors: '',
      upTo: 7n,
      added: true,
      threads: new Map([['main', { notifications: 1, highlights: 1 }]]),
    });
    expect(after).toEqual({
      floor: 10n,
      joined: true,
      threadFloors: '',
      upTo: 7n,
      threads: new Map([
        ['main', { notifications: 3, highlights: 2 }],
        ['$root', { notifications: 1, highlights: 0 }],
      ]),
    });
    expect(kept.threads.get('main')).toEqual({ notifications: 2, highlights: 1 });
  });

  it('replaces the kept counts when the read counted every row (new floors)', () => {
    const after = countsAfterRead(kept, {
      floor: 12n,
      joined: true,
      threadFloors: '$root 11',
      upTo: 7n,
      added: false,
      threads: new Map([['main', { notifications: 1, highlights: 0 }]]),
    });
    expect(after.threads).toEqual(new Map([['main', { notifications: 1, highlights: 0 }]]));
    expect(after).toMatchObject({ floor: 12n, threadFloors: '$root 11', upTo: 7n });
  });

  it('lists the threads with an unread row only', () => {
    const counts = countsAfterRead(undefined, {
      floor: 0n,
      joined: false,
      threadFloors: '',
      upTo: 1n,
      added: false,
      threads: new Map([
        ['main', { notifications: 0, highlights: 0 }],
        ['$t', { notifications: 0, highlights: 1 }],
      ]),
    });
    expect(unreadCountsOf('@u:h', '!r:h', counts)).toEqual([
      { userId: '@u:h', roomId: '!r:h', threadId: '$t', notificationCount: 0, highlightCount: 1 },
    ]);
  });

  it('keeps the most recently used pairs, and never replaces counts with older ones', () => {
    const cache = new KeptUnreadCounts(2);
    cache.set('@a', '!r', kept);
    cache.set('@b', '!r', kept);
    cache.get('@a', '!r');
    cache.set('@c', '!r', kept);
    expect(cache.size).toBe(2);
    expect(cache.get('@b', '!r')).toBeUndefined();
    expect(cache.get('@a', '!r')).toBe(kept);
    cache.set('@a', '!r', { ...kept, upTo: 4n });
    expect(cache.get('@a', '!r')).toBe(kept);
    const newer = { ...kept, upTo: 6n };
    cache.set('@a', '!r', newer);
    expect(cache.get('@a', '!r')).toBe(newer);
  });
});
