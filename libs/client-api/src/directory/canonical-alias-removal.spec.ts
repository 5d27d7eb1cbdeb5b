import { canonicalAliasWithout } from './canonical-alias-removal';

describe('canonicalAliasWithout', () => {
  it('drops the canonical alias, leaving an empty content when nothing else was named', () => {
    expect(canonicalAliasWithout({ alias: '#a:x' }, '#a:x')).toEqual({});
  });

  it('drops an alt alias and keeps the rest', () => {
    expect(canonicalAliasWithout({ alias: '#a:x', alt_aliases: ['#b:x', '#c:x'] }, '#b:x')).toEqual({
      alias: '#a:x',
      alt_aliases: ['#c:x'],
    });
  });

  it('drops the alias from both places at once', () => {
    expect(canonicalAliasWithout({ alias: '#a:x', alt_aliases: ['#a:x'] }, '#a:x')).toEqual({});
  });

  it('is undefined when the event does not name the alias', () => {
    expect(canonicalAliasWithout({ alias: '#a:x', alt_aliases: ['#b:x'] }, '#z:x')).toBeUndefined();
  });
});
