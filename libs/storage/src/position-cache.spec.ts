import { InProcessPositionCache } from './position-cache';

describe('InProcessPositionCache', () => {
  it('holds nothing for a stream until a writer raises it', async () => {
    expect(await new InProcessPositionCache().read()).toEqual({});
  });

  it('never moves a position back when writers finish out of order', async () => {
    const cache = new InProcessPositionCache();
    await cache.advance('events', 7n);
    await cache.advance('events', 5n);
    await cache.advance('receipts', 2n);
    expect(await cache.read()).toEqual({ events: 7n, receipts: 2n });
  });

  it('raises several streams at once, none of them back', async () => {
    const cache = new InProcessPositionCache();
    await cache.advance('presence', 30n);
    await cache.advanceAll({ presence: 20n, to_device: 40n });
    expect(await cache.read()).toEqual({ presence: 30n, to_device: 40n });
  });
});
