/**
 * Canonical JSON (appendices.md "Canonical JSON"): the shortest UTF-8 JSON
 * with object keys sorted by Unicode code point. Every hash and signature in
 * Matrix is computed over this encoding, so it must be byte-exact.
 */

/** Largest magnitude canonical JSON allows: [-(2**53)+1, (2**53)-1]. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A value canonical JSON cannot encode; `path` locates it (e.g. `content.count`). */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path || '(root)'}: ${rule}`);
  }
}

export interface CanonicalJsonOptions {
  /**
   * Room versions 6+ enforce canonical JSON: floats and integers out of range
   * are errors. Older versions may carry such values (the appendix warns of
   * it), so lax mode encodes them as JavaScript does instead of refusing.
   */
  strict?: boolean;
}

/**
 * Orders strings by Unicode code point. JavaScript compares UTF-16 code
 * units, which puts U+E000..U+FFFF after astral characters (surrogates are
 * 0xD800..0xDFFF); remapping the unit at the first difference fixes that.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Canonical JSON text of `value` (encode to UTF-8 for hashing or signing). */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  return encode(value, options.strict ?? true);
}

/** Canonical JSON as UTF-8 bytes, as hashed and signed. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

function encode(value: unknown, strict: boolean): string {
  switch (typeof value) {
    case 'string':
      // JSON.stringify already writes the canonical escapes: \b \t \n \f \r \" \\ and
      // lower-case \u00XX for other controls, and leaves everything else unescaped.
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value, strict);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? encodeArray(value, strict) : encodeObject(value as Record<string, unknown>, strict);
    default:
      throw new CanonicalJsonError('', `${typeof value} is not a JSON value`);
  }
}

function encodeArray(array: unknown[], strict: boolean): string {
  let out = '[';
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ',';
    try {
      out += encode(array[i], strict);
    } catch (e) {
      throw within(`[${i}]`, e);
    }
  }
  return `${out}]`;
}

function encodeObject(object: Record<string, unknown>, strict: boolean): string {
  const keys = Object.keys(object).filter((k) => object[k] !== undefined);
  keys.sort(compareCodePoints);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0) out += ',';
    try {
      out += `${JSON.stringify(key)}:${encode(object[key], strict)}`;
    } catch (e) {
      throw within(key, e);
    }
  }
  return `${out}}`;
}

/**
 * `error` thrown inside the value at `segment` (a key, or `[i]`): its path with the segment in front. A path is
 * built as its error passes up through the arrays and objects it came from, not passed down to every value: an
 * event is encoded three times when it is built (content hash, signature, event ID), and every value's path was a
 * string made and dropped each time.
 */
function within(segment: string, error: unknown): unknown {
  if (!(error instanceof CanonicalJsonError)) return error;
  const { path, rule } = error;
  return new CanonicalJsonError(
    path === '' ? segment : path.startsWith('[') ? segment + path : `${segment}.${path}`,
    rule,
  );
}

function encodeNumber(n: number, strict: boolean): string {
  if (!Number.isFinite(n)) throw new CanonicalJsonError('', 'numbers must be finite');
  if (Number.isInteger(n) && Math.abs(n) <= MAX_SAFE) return Object.is(n, -0) ? '0' : String(n);
  if (strict) {
    throw new CanonicalJsonError(
      '',
      Number.isInteger(n) ? 'integers must be within [-(2**53)+1, (2**53)-1]' : 'floats are not allowed',
    );
  }
  // Lax (room v1-v5): keep the value as JSON renders it; integers print without exponent.
  return Number.isInteger(n) ? BigInt(n).toString() : JSON.stringify(n);
}
