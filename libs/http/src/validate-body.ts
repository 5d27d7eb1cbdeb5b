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
  throw toMatrixError(result.error);
}

function toMatrixError(error: z.ZodError): MatrixError {
  const issue = error.issues[0];
  const field = issue.path.join('.') || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return Errors.missingParam(`Missing field: ${field}`);
  return Errors.badJson(`Invalid field ${field}: ${issue.message}`);
}
