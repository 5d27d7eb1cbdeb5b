import fc from 'fast-check';
import { canonicalJson, compareCodePoints } from './canonical-json';

/** Vectors from appendices.md "Canonical JSON" > "Examples". */
describe('canonical JSON: spec examples', () => {
  it.each([
    [{}, '{}'],
    [{ one: 1, two: 'Two' }, '{"one":1,"two":"Two"}'],
    [{ b: '2', a: '1' }, '{"a":"1","b":"2"}'],
    [
      {
        auth: {
          success: true,
          mxid: '@john.doe:example.com',
          profile: {
            display_name: 'John Doe',
            three_pids: [
              { medium: 'email', address: 'john.doe@example.org' },
              { medium: 'msisdn', address: '123456789' },
            ],
          },
        },
      },
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    [{ a: '日本語' }, '{"a":"日本語"}'],
    [{ 本: 2, 日: 1 }, '{"日":1,"本":2}'],
    [JSON.parse('{"a": "\\u65E5"}'), '{"a":"日"}'],
    [{ a: null }, '{"a":null}'],
    [{ a: -0, b: 1e10 }, '{"a":0,"b":10000000000}'],
  ])('encodes %j', (input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });
});

describe('canonical JSON: rules', () => {
  it('escapes control characters as the grammar says', () => {
    expect(canonicalJson({ a: '\b\t\n\f\r"\\\u0000\u001f\u007f' })).toBe(
      '{"a":"\\b\\t\\n\\f\\r\\"\\\\\\u0000\\u001f\u007f"}',
    );
  });

  it('does not escape forward slashes or non-ASCII', () => {
    expect(canonicalJson({ a: '/é😀' })).toBe('{"a":"/é😀"}');
  });

  it('sorts keys by code point: U+FF01 before the astral U+1F600, unlike UTF-16 order', () => {
    expect(canonicalJson({ '😀': 1, '\uff01': 2 })).toBe('{"\uff01":2,"😀":1}');
  });

  it('refuses floats in strict mode, naming the path', () => {
    expect(() => canonicalJson({ content: { n: 1.5 } })).toThrow('content.n: floats are not allowed');
  });

  it('names the path of a refused value inside arrays and objects', () => {
    expect(() => canonicalJson({ a: [{ b: [1, 2.5] }] })).toThrow('a[0].b[1]: floats are not allowed');
    expect(() => canonicalJson([[1.5]])).toThrow('[0][0]: floats are not allowed');
    expect(() => canonicalJson(Number.NaN)).toThrow('(root): numbers must be finite');
  });

  it('refuses integers beyond 2**53-1 in strict mode', () => {
    expect(() => canonicalJson({ n: 2 ** 53 })).toThrow(/integers must be within/);
    expect(canonicalJson({ n: 2 ** 53 - 1 })).toBe('{"n":9007199254740991}');
  });

  it('keeps floats in lax mode for room versions 1-5', () => {
    expect(canonicalJson({ n: 1.5 }, { strict: false })).toBe('{"n":1.5}');
  });
});

const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)));
const canonicalValue = jsonValue.filter((v) => {
  try {
    canonicalJson(v);
    return true;
  } catch {
    return false;
  }
});

describe('canonical JSON: properties', () => {
  it('round-trips: parsing the output gives the input back', () => {
    fc.assert(fc.property(canonicalValue, (v) => expect(JSON.parse(canonicalJson(v))).toEqual(v)));
  });

  it('is independent of key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });

  it('is idempotent: encoding the parsed output again gives the same bytes', () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        const once = canonicalJson(v);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });

  it('orders keys like a code-point comparison of the strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const byCodePoint = Math.sign(
          compare(
            [...a].map((c) => c.codePointAt(0)!),
            [...b].map((c) => c.codePointAt(0)!),
          ),
        );
        expect(Math.sign(compareCodePoints(a, b))).toBe(byCodePoint);
      }),
    );
  });
});

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
