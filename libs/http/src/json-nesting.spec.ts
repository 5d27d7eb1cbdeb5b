import { exceedsNestingDepth } from './json-nesting';

describe('exceedsNestingDepth', () => {
  it('accepts nesting exactly at the limit', () => {
    expect(exceedsNestingDepth('{"a":[{"b":1}]}', 3)).toBe(false);
  });

  it('rejects nesting one level past the limit', () => {
    expect(exceedsNestingDepth('{"a":[{"b":[]}]}', 3)).toBe(true);
  });

  it('counts depth, not the number of containers', () => {
    expect(exceedsNestingDepth('[[],[],[],[],[]]', 2)).toBe(false);
  });

  it('ignores brackets inside strings', () => {
    expect(exceedsNestingDepth('{"a":"[[[[{{{{"}', 1)).toBe(false);
  });

  it('does not end a string at an escaped quote', () => {
    expect(exceedsNestingDepth('{"a":"\\"[[[["}', 1)).toBe(false);
  });

  it('ends a string after an escaped backslash', () => {
    expect(exceedsNestingDepth('["\\\\",[[]]]', 2)).toBe(true);
  });

  it('finds deep nesting in text that is not valid JSON', () => {
    expect(exceedsNestingDepth('['.repeat(5000), 100)).toBe(true);
  });

  it('accepts scalars', () => {
    expect(exceedsNestingDepth('"just a string"', 0)).toBe(false);
  });
});
