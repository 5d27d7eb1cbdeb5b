import { z } from 'zod';
import { Errors, MatrixError } from './matrix-error';

/**
 * Validates a request body against a schema before anything is written.
 * A missing required field is M_MISSING_PARAM, anything else malformed is
 * M_BAD_JSON, each naming the field.
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.notJson('Request body must be a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw toMatrixError(result.error, body);
}

function toMatrixError(error: z.ZodError, body: object): MatrixError {
  const issue = error.issues[0];
  const field = issue.path.join('.') || 'body';
  // zod does not report the offending input by default: look it up, so absent and mistyped fields differ.
  const value = issue.path.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined), body);
  if (issue.code === 'invalid_type' && value === undefined) return Errors.missingParam(`Missing field: ${field}`);
  return Errors.badJson(`Invalid field ${field}: ${issue.message}`);
}
