import { PLANNED_PER_CALL, statementNames } from './statement-names';

describe('statement names for prepared statements', () => {
  it('names a text on its second sighting, with the same name ever after', () => {
    const name = statementNames(10);
    expect(name({ sql: 'SELECT 1' })).toBe('');
    const first = name({ sql: 'SELECT 1' });
    expect(first).not.toBe('');
    expect(name({ sql: 'SELECT 1' })).toBe(first);
    expect(name({ sql: 'SELECT 2' })).toBe('');
    expect(name({ sql: 'SELECT 2' })).not.toBe(first);
  });

  it('names no more texts than its capacity; the named ones keep their names', () => {
    const name = statementNames(2);
    const names = ['a', 'b', 'c'].map((sql) => {
      name({ sql });
      return name({ sql });
    });
    expect(names[0]).not.toBe('');
    expect(names[1]).not.toBe('');
    expect(names[2]).toBe('');
    expect(name({ sql: 'a' })).toBe(names[0]);
  });

  it('forgets the texts seen once when more than its capacity were, so one-offs take no lasting memory', () => {
    const name = statementNames(2);
    name({ sql: 'a' });
    name({ sql: 'b' });
    name({ sql: 'c' });
    expect(name({ sql: 'a' })).toBe('');
    expect(name({ sql: 'c' })).not.toBe('');
  });

  it('never names a statement planned per call', () => {
    const name = statementNames(10);
    const sql = `${PLANNED_PER_CALL}SELECT 1`;
    expect([name({ sql }), name({ sql }), name({ sql })]).toEqual(['', '', '']);
  });
});
