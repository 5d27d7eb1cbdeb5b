import { integerParam, requestParamProblem } from './request-params';

describe('requestParamProblem', () => {
  it('accepts ordinary parameters', () => {
    expect(requestParamProblem({ roomId: '!a:b' }, { limit: '10' })).toBeUndefined();
  });

  it('refuses U+0000 in a path parameter', () => {
    expect(requestParamProblem({ roomAlias: '\u0000' }, {})).toMatch(/roomAlias contains U\+0000/);
  });

  it('refuses U+0000 in a query parameter', () => {
    expect(requestParamProblem({}, { from: 'a\u0000' })).toMatch(/from contains U\+0000/);
  });

  it('refuses U+0000 in one value of a repeated array parameter', () => {
    expect(requestParamProblem({}, { via: ['a.example', '\u0000'] })).toMatch(/via contains U\+0000/);
  });

  it('refuses a single-valued query parameter given twice', () => {
    expect(requestParamProblem({}, { limit: ['1', '2'] })).toMatch(/limit given more than once/);
  });

  it('accepts an array parameter given twice', () => {
    expect(requestParamProblem({}, { via: ['a.example', 'b.example'] })).toBeUndefined();
  });
});

describe('integerParam', () => {
  it('is undefined when the parameter is absent', () => {
    expect(integerParam('limit', undefined, 0)).toBeUndefined();
  });

  it('reads decimal digits', () => {
    expect(integerParam('limit', '42', 0)).toBe(42);
  });

  it.each(['abc', '', '-1', '1.5', '1e3', '0x10', ' 1', '9'.repeat(20)])('refuses %j with M_INVALID_PARAM', (raw) => {
    expect(() => integerParam('limit', raw, 0)).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('refuses a value under the minimum', () => {
    expect(() => integerParam('max_depth', '0', 1)).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });
});
