import { filterIdOf } from './filter-id';

describe('filterIdOf', () => {
  it('reads a filter ID as issued', () => {
    expect(filterIdOf('0')).toBe(0);
  });

  it('reads the largest ID the column holds', () => {
    expect(filterIdOf('2147483647')).toBe(2147483647);
  });

  it.each(['2147483648', '9'.repeat(25), '-1', '1.5', '1e3', '', 'abc'])('takes %j for no filter', (raw) => {
    expect(filterIdOf(raw)).toBeUndefined();
  });
});
