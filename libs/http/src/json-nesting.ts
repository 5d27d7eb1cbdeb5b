/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth`, found
 * by one pass over the characters without parsing. It runs before
 * JSON.parse, so a hostile body never reaches the recursive code after the
 * parser (canonical JSON, signing, schema validation, the database's jsonb),
 * any of which could exhaust the stack on deep enough input. Brackets inside
 * strings do not count. For valid JSON the depth found is exact; text that
 * is not valid JSON may be miscounted, but then the parser refuses it
 * without ever building a value.
 */
export function exceedsNestingDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
