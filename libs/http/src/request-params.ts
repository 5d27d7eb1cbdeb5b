import { Errors } from './matrix-error';

/**
 * Query parameters the spec defines as arrays, sent by repeating the name
 * (client-server-api join, knock and room summary `via`, with join's
 * deprecated `server_name`; server-server-api make_join and make_knock
 * `ver`, backfill `v`). Every other parameter takes one value.
 */
const REPEATABLE_QUERY_PARAMS = new Set(['via', 'server_name', 'ver', 'v']);

/**
 * What is wrong with a request's path and query parameters for any
 * endpoint, or undefined. Handlers read single parameters as strings, so a
 * repeated one (which the query parser turns into an array) must not reach
 * them. U+0000 is in no Matrix identifier's grammar, and PostgreSQL text
 * cannot hold it, so it would fail as a database error, not as bad input.
 */
export function requestParamProblem(
  params: Record<string, unknown>,
  query: Record<string, unknown>,
): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && value.includes('\u0000')) return `Path parameter ${name} contains U+0000`;
  }
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value) && !REPEATABLE_QUERY_PARAMS.has(name))
      return `Query parameter ${name} given more than once`;
    if ((Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && v.includes('\u0000')))
      return `Query parameter ${name} contains U+0000`;
  }
  return undefined;
}

/**
 * An integer query parameter at least `min`, or undefined when absent.
 * Anything else (a sign, a fraction, an exponent, digits beyond 2**53, text)
 * is M_INVALID_PARAM: Number() would read much of it as something else, or NaN.
 */
export function integerParam(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min)
    throw Errors.invalidParam(`${name} must be an integer of at least ${min}`);
  return value;
}
