import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then asks the caller to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.take('u'), limiter.take('u'), limiter.take('u')]).toEqual([0, 0, 0]);
    expect(limiter.take('u')).toBe(500);
    now = 500;
    expect(limiter.take('u')).toBe(0);
  });

  it('keeps separate buckets per key', () => {
    const limiter = new RateLimiter(1, 1, () => 0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });
});
