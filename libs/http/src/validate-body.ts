import { z } from 'zod';
import { Errors, MatrixError } from './matrix-error';

/**
 * Validates a request body against a schema before anything is written.
 * A missing required field is M_MISSING_PARAM, anything else malformed is
 * M_BAD_JSON, each naming the field. A string holding U+0000 is malformed
 * too: PostgreSQL text cannot store it, so it would fail as a database error
 * after validation, and no field of a Matrix request needs it.
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const object = requireJsonObject(body);
  const result = schema.safeParse(object);
  if (!result.success) throw toMatrixError(result.error, object);
  const nul = pathToNul(result.data);
  if (nul !== undefined) throw Errors.badJson(`Invalid field ${nul.join('.') || 'body'}: must not contain U+0000`);
  return result.data;
}

/**
 * The body as an object, or M_BAD_JSON: a string, number, array or null
 * parsed, so it is JSON, but malformed for an endpoint that takes an object
 * (client-server-api "Common error codes": M_NOT_JSON is for bodies that are
 * not JSON at all).
 */
export function requireJsonObject<T extends object = Record<string, unknown>>(body: unknown, what = 'Request body'): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw Errors.badJson(`${what} must be a JSON object`);
  return body as T;
}

/** The path to the first string (value or key) holding U+0000, or undefined. */
export function pathToNul(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key];
    const found = pathToNul(inner, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

function toMatrixError(error: z.ZodError, body: object): MatrixError {
  const issue = error.issues[0];
  const field = issue.path.join('.') || 'body';
  // zod does not report the offending input by default: look it up, so absent and mistyped fields differ.
  const value = issue.path.reduce<unknown>(
    (at, key) => (at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined),
    body,
  );
  if (issue.code === 'invalid_type' && value === undefined) return Errors.missingParam(`Missing field: ${field}`);
  return Errors.badJson(`Invalid field ${field}: ${issue.message}`);
}
