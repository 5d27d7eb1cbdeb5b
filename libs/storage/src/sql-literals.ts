import { escapeLiteral } from 'pg';

/**
 * A statement's parameters written into its text as SQL literals, for a statement sent in a simple query (which
 * has no parameters) together with others: each `$n` becomes its value quoted as node-pg's escapeLiteral quotes
 * (a text, or an array's text form for an array parameter, which the statement's casts read as they read the
 * parameter's). Values: strings, integers (number or bigint), booleans, null, and flat arrays of these.
 */
export function withLiterals(text: string, values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1]));
}

/** A value as a SQL literal (withLiterals' form of one parameter). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return escapeLiteral(`{${value.map(arrayElement).join(',')}}`);
  return escapeLiteral(scalar(value));
}

/** An element of an array's text form: NULL, or double-quoted with its quotes and backslashes escaped. */
function arrayElement(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : `"${scalar(value).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error(`No SQL literal for ${typeof value} ${String(value)}`);
}
