import { newAccessToken, newRefreshToken, tokenExpired } from './tokens';

describe('tokenExpired', () => {
  it('never expires a token without an expiry', () => {
    expect(tokenExpired(null, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('keeps a token before its expiry', () => {
    expect(tokenExpired(1000, 999)).toBe(false);
  });

  it('refuses a token from its expiry instant on', () => {
    expect(tokenExpired(1000, 1000)).toBe(true);
  });
});

describe('newRefreshToken', () => {
  it('has a prefix no access token has', () => {
    expect(newRefreshToken()).toMatch(/^latr_/);
    expect(newAccessToken()).not.toMatch(/^latr_/);
  });
});
