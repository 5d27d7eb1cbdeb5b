import { formatPaginationToken, parsePaginationToken } from './pagination-token';

describe('pagination tokens', () => {
  it('reads a t token as the point before its position', () => expect(parsePaginationToken(formatPaginationToken(42n))).toBe(42n));
  it('reads backfilled positions below zero', () => expect(parsePaginationToken('t-7')).toBe(-7n));
  it("reads a /sync next_batch as the point just after its events position, so paging back from it starts with that event", () => expect(parsePaginationToken('s76_0_0_0_0_0_14')).toBe(77n));
  it('refuses anything else with M_INVALID_PARAM', () => expect(() => parsePaginationToken('x1')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' })));
});
