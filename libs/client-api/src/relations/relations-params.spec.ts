import { parseRelationsPage, parseThreadsPage, RECURSION_DEPTH } from './relations-params';

describe('parseRelationsPage', () => {
  it('pages backwards from the newest by default, direct children only', () => {
    expect(parseRelationsPage({})).toEqual({
      backwards: true,
      from: undefined,
      to: undefined,
      limit: 50,
      depth: 1,
      recurseGiven: false,
    });
  });

  it('pages forwards with dir=f', () => {
    expect(parseRelationsPage({ dir: 'f' }).backwards).toBe(false);
  });

  it('refuses another dir with M_INVALID_PARAM', () => {
    expect(() => parseRelationsPage({ dir: 'x' })).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('reads from and to as /messages tokens', () => {
    expect(parseRelationsPage({ from: 't12', to: 't3' })).toMatchObject({ from: 12n, to: 3n });
  });

  it('reads a /sync next_batch as the point after its events position', () => {
    expect(parseRelationsPage({ from: 's7_0_0_0_0_0_0' }).from).toBe(8n);
  });

  it('refuses an unknown token with M_INVALID_PARAM', () => {
    expect(() => parseRelationsPage({ from: 'nope' })).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('lowers a large limit to the maximum', () => {
    expect(parseRelationsPage({ limit: '5000' }).limit).toBe(100);
  });

  it('refuses a limit of zero', () => {
    expect(() => parseRelationsPage({ limit: '0' })).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('follows relationships three levels deep with recurse=true', () => {
    expect(parseRelationsPage({ recurse: 'true' })).toMatchObject({ depth: RECURSION_DEPTH, recurseGiven: true });
  });

  it('says recurse was given even when false', () => {
    expect(parseRelationsPage({ recurse: 'false' })).toMatchObject({ depth: 1, recurseGiven: true });
  });
});

describe('parseThreadsPage', () => {
  it('lists all threads by default', () => {
    expect(parseThreadsPage({})).toEqual({ participatedOnly: false, before: undefined, limit: 50 });
  });

  it('lists only participated threads with include=participated', () => {
    expect(parseThreadsPage({ include: 'participated' }).participatedOnly).toBe(true);
  });

  it('refuses another include with M_INVALID_PARAM', () => {
    expect(() => parseThreadsPage({ include: 'mine' })).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });

  it('reads from as the position to continue before', () => {
    expect(parseThreadsPage({ from: 't40' }).before).toBe(40n);
  });
});
