import { Errors } from './matrix-error';

/** A non-negative integer query parameter (Synapse's from/limit), or 400 M_INVALID_PARAM. */
export function queryInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value)) throw Errors.invalidParam(`Query parameter ${name} must be a non-negative integer`);
  return Number(value);
}

/** "true" or "false" (Synapse's boolean query parameters), or 400 M_INVALID_PARAM. */
export function queryBool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false')
    throw Errors.invalidParam(`Query parameter ${name} must be "true" or "false"`);
  return value === 'true';
}

/** One of a fixed set of values, or 400 M_INVALID_PARAM. */
export function queryChoice<T extends string>(
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
  name: string,
): T {
  if (value === undefined || value === '') return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw Errors.invalidParam(`Query parameter ${name} must be one of ${choices.join(', ')}`);
  return value as T;
}

/** The page fields Synapse's lists answer: next_token when there is more. */
export function nextToken(from: number, count: number, total: number): { next_token?: string } {
  return from + count < total ? { next_token: String(from + count) } : {};
}
