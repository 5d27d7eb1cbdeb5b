import { formatPaginationToken, parsePaginationToken } from './pagination-token';

describe('pagination tokens', () => {
  it('reads back a token it formatted: the point before its position', () => {
    expect(parsePaginationToken(formatPaginationToken(42n))).toBe(42n);
  });

  it('reads a negative position (history from other servers)', () => {
    expect(parsePaginationToken('t-7')).toBe(-7n);
  });

  it('reads a /sync next_batch as the point just after its events position, so paging back from it starts with that event', () => {
    expect(parsePaginationToken('s76_0_0_0_0_0_14')).toBe(77n);
  });

  it('refuses a position beyond a bigint with M_INVALID_PARAM', () => {
    expect(() => parsePaginationToken(`t${'9'.repeat(25)}`)).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });

  it('refuses a negative position beyond a bigint with M_INVALID_PARAM', () => {
    expect(() => parsePaginationToken(`t-${'9'.repeat(25)}`)).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });

  it('refuses text that is no token with M_INVALID_PARAM', () => {
    expect(() => parsePaginationToken('true')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });
});
