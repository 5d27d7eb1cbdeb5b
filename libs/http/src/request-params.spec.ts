import { requestParamProblem } from './request-params';

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
