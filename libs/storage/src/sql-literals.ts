/**
 * A statement's parameters written into its text as SQL literals, for a statement sent in a simple query (which
 * has no parameters) together with others: each `$n` becomes its value quoted (quoted(): a text, or an array's
 * text form for an array parameter, which the statement's casts read as they read the parameter's). Values:
 * strings, integers (number or bigint), booleans, null, and flat arrays of these.
 */
export function withLiterals(text: string, values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1]));
}

/** A value as a SQL literal (withLiterals' form of one parameter). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return quoted(`{${value.map(arrayElement).join(',')}}`);
  return quoted(scalar(value));
}

/**
 * A string constant of `text`, as node-pg's escapeLiteral writes it (quotes doubled; an E'' string with its
 * backslashes doubled when it has any), with two replaces rather than its loop of a concatenation per character:
 * a message's JSON, every send, took that loop ~48 µs of the event loop and left a string of a node per character
 * for the collector.
 */
function quoted(text: string): string {
  const escaped = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`;
}

/** An element of an array's text form: NULL, or double-quoted with its quotes and backslashes escaped. */
function arrayElement(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : `"${scalar(value).replace(/["\\]/g, '\\$&')}"`;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error(`No SQL literal for ${typeof value} ${String(value)}`);
}
