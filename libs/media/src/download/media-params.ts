import { Errors } from '@lattice/http';

/** Query parameters of the media endpoints, refused with M_INVALID_PARAM when malformed. */

export function booleanParam(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw Errors.invalidParam(`${name} must be true or false`);
}

export function integerParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value)) throw Errors.invalidParam(`${name} must be a non-negative integer`);
  return Number(value);
}
