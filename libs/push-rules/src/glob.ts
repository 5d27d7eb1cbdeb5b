/** Characters that are not word characters delimit words (client-server-api "Conditions", `content.body`). */
const WORD_BOUNDARY_BEFORE = '(?:^|[^A-Za-z0-9_])';
const WORD_BOUNDARY_AFTER = '(?:$|[^A-Za-z0-9_])';

const cache = new Map<string, RegExp>();

function globSource(pattern: string): string {
  return pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : `\\${c}`));
}

/**
 * A glob (appendices "Glob-style matching": `*` any run, `?` one character)
 * as a case-insensitive regular expression, matching the whole value or,
 * for `content.body`, any run of it between word boundaries.
 */
export function globRegExp(pattern: string, wordBoundaries: boolean): RegExp {
  const key = `${wordBoundaries ? 'w' : 'e'}${pattern}`;
  let regExp = cache.get(key);
  if (!regExp) {
    const source = globSource(pattern);
    regExp = new RegExp(
      wordBoundaries ? `${WORD_BOUNDARY_BEFORE}${source}${WORD_BOUNDARY_AFTER}` : `^${source}$`,
      'iu',
    );
    // Rules are per user but patterns repeat (defaults name the user, so bound the cache).
    if (cache.size > 10_000) cache.clear();
    cache.set(key, regExp);
  }
  return regExp;
}

/** Whether `text` contains `literal` (taken as it is, not as a glob) between word boundaries, case-insensitively. */
export function containsWord(literal: string, text: string): boolean {
  const source = literal.replace(/[.+^${}()|[\]\\*?]/g, (c) => `\\${c}`);
  return new RegExp(`${WORD_BOUNDARY_BEFORE}${source}${WORD_BOUNDARY_AFTER}`, 'iu').test(text);
}

export function globMatches(pattern: string, value: string, wordBoundaries: boolean): boolean {
  return globRegExp(pattern, wordBoundaries).test(value);
}
