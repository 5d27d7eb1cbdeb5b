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
  return encode(value, options.strict ?? true, '');
}

/** Canonical JSON as UTF-8 bytes, as hashed and signed. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

function encode(value: unknown, strict: boolean, path: string): string {
  switch (typeof value) {
    case 'string':
      // JSON.stringify already writes the canonical escapes: \b \t \n \f \r \" \\ and
      // lower-case \u00XX for other controls, and leaves everything else unescaped.
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value, strict, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, strict, `${path}[${i}]`)).join(',')}]`;
      return encodeObject(value as Record<string, unknown>, strict, path);
    default:
      throw new CanonicalJsonError(path, `${typeof value} is not a JSON value`);
  }
}

function encodeObject(object: Record<string, unknown>, strict: boolean, path: string): string {
  const keys = Object.keys(object).filter((k) => object[k] !== undefined);
  keys.sort(compareCodePoints);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0) out += ',';
    out += `${JSON.stringify(key)}:${encode(object[key], strict, path ? `${path}.${key}` : key)}`;
  }
  return `${out}}`;
}

function encodeNumber(n: number, strict: boolean, path: string): string {
  if (!Number.isFinite(n)) throw new CanonicalJsonError(path, 'numbers must be finite');
  if (Number.isInteger(n) && Math.abs(n) <= MAX_SAFE) return Object.is(n, -0) ? '0' : String(n);
  if (strict) {
    throw new CanonicalJsonError(
      path,
      Number.isInteger(n) ? 'integers must be within [-(2**53)+1, (2**53)-1]' : 'floats are not allowed',
    );
  }
  // Lax (room v1-v5): keep the value as JSON renders it; integers print without exponent.
  return Number.isInteger(n) ? BigInt(n).toString() : JSON.stringify(n);
}
