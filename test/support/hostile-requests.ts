import fc from 'fast-check';
import type { Operation, Parameter, SpecFiles } from './openapi-operations';
import { schemaArbitrary, type KnownValues } from './schema-arbitrary';

/** One request to send: the raw path (query included, escaped as sent) and body bytes, and what kind of input it is. */
export interface FuzzRequest {
  operation: Operation;
  /** Which hostile input, or `valid` for a request shaped as the spec says. */
  variant: string;
  method: string;
  path: string;
  body?: Buffer;
  /** The body as parsed JSON, for the X-Matrix signature; absent when the body is not JSON. */
  json?: unknown;
  contentType: string;
  /** Whether the request carries the credentials its API wants (an access token, an X-Matrix signature). */
  authenticated: boolean;
}

/** Path segments that must never escape their route or crash a handler: NUL, dot segments, bad percent-escapes, huge IDs, names of Object.prototype properties. */
const ODD_SEGMENTS = [
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '%00',
  '..',
  '%2e%2e',
  '.',
  '%2F..%2F',
  '%FF',
  '%',
  '%C3%28',
  'a'.repeat(5000),
  '%F0%9F%92%A9',
  '@:',
  '!:',
  '%20',
  '%0A',
  '*',
  'null',
  '-1',
  '9'.repeat(25),
  `%40${'x'.repeat(300)}%3Alocalhost`,
];

/** Query values of the wrong type, at the edges of what a number can be, or tokens naming positions beyond any. */
const ODD_QUERY_VALUES = [
  '',
  'abc',
  '-1',
  '1.5',
  'NaN',
  'Infinity',
  '1e309',
  '9'.repeat(40),
  `t${'9'.repeat(25)}`,
  `t-${'9'.repeat(25)}`,
  `s${'9'.repeat(25)}_1_1_1_1`,
  '%00',
  '%FF',
  'true',
  '%5B%5D',
  '%7B%7D',
  'x'.repeat(5000),
];

/** Strings that often break storage or text handling: NUL, a lone surrogate, bidi control, very long and astral text. */
const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e',
  '💩'.repeat(2000),
  '../../../etc/passwd',
  '%00',
  '${jndi:x}',
  'x'.repeat(100_000),
  '',
];

/**
 * Values of every JSON type, one of which is the wrong one for any field, and
 * objects whose own keys name Object.prototype properties (JSON.parse makes
 * `__proto__` an own key, as a hostile body would).
 */
const WRONG_TYPES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  1e308,
  -1e308,
  'string',
  '',
  [],
  [1, 'a', null],
  {},
  { nested: { deeper: [] } },
  JSON.parse('{"__proto__":{"polluted":true}}'),
  { constructor: { prototype: { polluted: true } } },
  { toString: 1, hasOwnProperty: 'x' },
];

/** A 5,000-deep array, as JSON text (the value itself could not be serialised without recursion this deep). */
const DEEP_JSON = `${'['.repeat(5000)}${']'.repeat(5000)}`;

/** Every path to a value inside `value`, up to a few levels. */
function pathsOf(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (value === null || typeof value !== 'object' || depth > 4) return [];
  return Object.keys(value).flatMap((key) => [
    [...prefix, key],
    ...pathsOf((value as Record<string, unknown>)[key], [...prefix, key], depth + 1),
  ]);
}

/** A copy of `value` with the value at `path` replaced (or removed when `replacement` is undefined). */
function replaceAt(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string, unknown>;
  const [head, ...rest] = path;
  if (rest.length === 0 && replacement === undefined) delete copy[head];
  else copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}

/** Picks a path inside an object body by index; an empty body gets a new top-level field. */
function pick(value: unknown, index: number): string[] {
  const paths = pathsOf(value);
  return paths.length > 0 ? paths[index % paths.length] : ['fuzz'];
}

interface Body {
  variant: string;
  body?: Buffer;
  json?: unknown;
  contentType?: string;
}

const jsonBody = (variant: string, json: unknown): Body => ({ variant, body: Buffer.from(JSON.stringify(json)), json });
const rawBody = (variant: string, text: string | Buffer, contentType?: string): Body => ({
  variant,
  body: Buffer.isBuffer(text) ? text : Buffer.from(text),
  ...(contentType ? { contentType } : {}),
});

/** A body shaped by the schema, then (most of the time) broken in one of the ways a hostile client would. */
function bodyArbitrary(valid: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  const at = fc.tuple(valid, fc.nat());
  return fc.oneof(
    { weight: 4, arbitrary: valid.map((json) => jsonBody('valid', json)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.constantFrom(...WRONG_TYPES))
        .map(([json, i, wrong]) => jsonBody('wrong type', replaceAt(json, pick(json, i), wrong))),
    },
    {
      weight: 2,
      arbitrary: at.map(([json, i]) => jsonBody('missing field', replaceAt(json, pick(json, i), undefined))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.constantFrom(...NASTY_STRINGS))
        .map(([json, i, text]) => jsonBody('nasty string', replaceAt(json, pick(json, i), text))),
    },
    {
      weight: 1,
      arbitrary: at.map(([json, i]) => {
        const marker = '"__deep__"';
        return rawBody(
          'deep nesting',
          JSON.stringify(replaceAt(json, pick(json, i), '__deep__')).replace(marker, DEEP_JSON),
        );
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xc0, 0xaf]))
        .map(([json, bytes]) => {
          const text = JSON.stringify({ fuzz: 'XX', ...(json as object) });
          const split = text.indexOf('XX');
          return rawBody(
            'non-UTF-8',
            Buffer.concat([Buffer.from(text.slice(0, split)), Buffer.from(bytes), Buffer.from(text.slice(split + 2))]),
          );
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.nat(),
          fc.constantFrom(
            'truncated',
            '{"a":',
            "{'a':1}",
            'NaN',
            '{"a":1}garbage',
            '\ufeff{}',
            '{"a":1,"a":2}',
            '{"a":01}',
            '[1,]',
            '"\\x00"',
          ),
        )
        .map(([json, i, kind]) => {
          const text = JSON.stringify(json);
          return rawBody(
            'invalid JSON',
            kind === 'truncated' ? text.slice(0, 1 + (i % Math.max(1, text.length - 1))) : kind,
          );
        }),
    },
    { weight: 1, arbitrary: fc.constant(rawBody('oversized', `{"fuzz":"${'x'.repeat(1_200_000)}"}`)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>([], [{}], 'string', 42, null, true)
        .map((json) => jsonBody('not an object', json)),
    },
    { weight: 1, arbitrary: fc.constant(rawBody('form body', 'a=1&b=2', 'application/x-www-form-urlencoded')) },
  );
}

function parameterValue(spec: SpecFiles, parameter: Parameter, known: KnownValues): fc.Arbitrary<string> {
  // A long-poll must not hold the run up: /sync and friends wait up to `timeout` ms.
  if (parameter.name === 'timeout') return fc.integer({ min: 0, max: 50 }).map(String);
  return schemaArbitrary(spec, parameter.schema, known, parameter.name).map((value) =>
    typeof value === 'string' ? value : JSON.stringify(value),
  );
}

/** Requests for one operation: mostly well-formed paths and queries, with some hostile segments, queries and bodies. */
export function requestArbitrary(spec: SpecFiles, operation: Operation, known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const segments = operation.pathParams.map((parameter) =>
    fc.oneof(
      {
        weight: 8,
        arbitrary: parameterValue(spec, parameter, known).map((value) => ({
          value: encodeURIComponent(value),
          odd: false,
        })),
      },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS).map((value) => ({ value, odd: true })) },
    ),
  );
  const query = operation.queryParams.map((parameter) =>
    fc.oneof(
      {
        weight: parameter.required ? 6 : 3,
        arbitrary: parameterValue(spec, parameter, known).map((value) => ({
          text: `${parameter.name}=${encodeURIComponent(value)}`,
          odd: false,
        })),
      },
      { weight: parameter.required ? 1 : 3, arbitrary: fc.constant({ text: '', odd: parameter.required }) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(...ODD_QUERY_VALUES)
          .map((value) => ({ text: `${parameter.name}=${value}`, odd: true })),
      },
      {
        weight: 1,
        arbitrary: parameterValue(spec, parameter, known).map((value) => ({
          text: `${parameter.name}=${encodeURIComponent(value)}&${parameter.name}=${encodeURIComponent(value)}`,
          odd: true,
        })),
      },
    ),
  );
  const takesBody = operation.body !== undefined || operation.method === 'PUT' || operation.method === 'POST';
  const body: fc.Arbitrary<Body> = operation.body
    ? bodyArbitrary(schemaArbitrary(spec, operation.body, known))
    : takesBody
      ? bodyArbitrary(fc.constant({}))
      : fc.oneof(
          { weight: 9, arbitrary: fc.constant<Body>({ variant: 'valid' }) },
          { weight: 1, arbitrary: fc.constant(rawBody('unexpected body', DEEP_JSON)) },
        );
  const authenticated = fc.oneof(
    { weight: 9, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  );
  return fc
    .tuple(fc.tuple(...segments), fc.tuple(...query), body, authenticated)
    .map(([pathValues, queryValues, b, withCredentials]) => {
      let i = 0;
      const path = operation.path.replace(/\{[^}]+\}/g, () => pathValues[i++].value);
      const queryText = queryValues
        .map((q) => q.text)
        .filter((t) => t !== '')
        .join('&');
      const oddParts = [
        pathValues.some((v) => v.odd) ? 'odd path' : '',
        queryValues.some((q) => q.odd) ? 'odd query' : '',
      ].filter((p) => p !== '');
      const variant = [
        ...oddParts,
        ...(b.variant === 'valid' && oddParts.length > 0 ? [] : [b.variant]),
        ...(withCredentials ? [] : ['no credentials']),
      ].join(', ');
      return {
        operation,
        variant,
        method: operation.method,
        path: queryText ? `${path}?${queryText}` : path,
        ...(b.body ? { body: b.body } : {}),
        ...(b.json !== undefined ? { json: b.json } : {}),
        contentType: b.contentType ?? (operation.rawBody ? 'application/octet-stream' : 'application/json'),
        authenticated: withCredentials,
      };
    });
}
