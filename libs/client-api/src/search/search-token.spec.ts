import { formatSearchToken, parseSearchToken } from './search-token';

describe('search next_batch tokens', () => {
  it('give back the cursor they were made from', () => {
    const cursor = { order: 'rank' as const, rank: 0.0607927106320858, streamPos: 1234n };
    expect(parseSearchToken(formatSearchToken(cursor), 'rank')).toEqual(cursor);
  });

  it('refuse a token made for the other order', () => {
    const token = formatSearchToken({ order: 'recent', rank: 0, streamPos: 5n });
    expect(() => parseSearchToken(token, 'rank')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('refuse anything else', () => {
    expect(() => parseSearchToken('nonsense', 'recent')).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });
});
