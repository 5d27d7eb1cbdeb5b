import { addedAliases, canonicalAliasesOf } from './canonical-alias-check';

describe('canonical alias content', () => {
  it('lists alias and alt_aliases', () =>
    expect(canonicalAliasesOf({ alias: '#a:x', alt_aliases: ['#b:x'] })).toEqual(['#a:x', '#b:x']));
  it('lists nothing for no event', () => expect(canonicalAliasesOf(undefined)).toEqual([]));
  it('keeps a non-array alt_aliases as one entry, to be refused as invalid', () =>
    expect(canonicalAliasesOf({ alt_aliases: 'oops' })).toEqual(['oops']));
  it('counts as added only aliases the current event lacks', () =>
    expect(addedAliases({ alias: '#a:x' }, { alias: '#a:x', alt_aliases: ['#b:x'] })).toEqual(['#b:x']));
  it('counts nothing as added when aliases are removed', () =>
    expect(addedAliases({ alias: '#a:x', alt_aliases: ['#b:x'] }, {})).toEqual([]));
});
