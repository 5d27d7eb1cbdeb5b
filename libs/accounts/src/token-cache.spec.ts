import { TokenCache } from './token-cache';

const alice = { userId: '@alice:x', deviceId: 'A', isGuest: false };
const bob = { userId: '@bob:x', deviceId: 'B', isGuest: false };

describe('TokenCache', () => {
  it('answers a cached token', () => {
    const cache = new TokenCache();
    cache.set('h1', alice, cache.generation);
    expect(cache.get('h1')).toEqual(alice);
  });

  it('forgets every token of a revoked user and keeps the others', () => {
    const cache = new TokenCache();
    cache.set('h1', alice, cache.generation);
    cache.set('h2', bob, cache.generation);
    cache.forgetUser(alice.userId);
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h2')).toEqual(bob);
  });

  it('does not cache a lookup that started before a revocation', () => {
    const cache = new TokenCache();
    const started = cache.generation;
    cache.forgetUser(alice.userId);
    cache.set('h1', alice, started);
    expect(cache.get('h1')).toBeUndefined();
  });

  it('lets an entry expire', () => {
    jest.useFakeTimers();
    try {
      const cache = new TokenCache();
      cache.set('h1', alice, cache.generation);
      jest.advanceTimersByTime(11 * 60_000);
      expect(cache.get('h1')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops an entry when its token expires, before the cache lifetime', () => {
    jest.useFakeTimers();
    try {
      const cache = new TokenCache();
      cache.set('h1', alice, cache.generation, Date.now() + 1000);
      jest.advanceTimersByTime(1000);
      expect(cache.get('h1')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers a token that expires later until it does', () => {
    jest.useFakeTimers();
    try {
      const cache = new TokenCache();
      cache.set('h1', alice, cache.generation, Date.now() + 1000);
      jest.advanceTimersByTime(999);
      expect(cache.get('h1')).toEqual(alice);
    } finally {
      jest.useRealTimers();
    }
  });
});
