/**
 * Splits a dot-separated property path (appendices "Dot-separated property
 * paths"): `\.` is a literal dot and `\\` a literal backslash; any other
 * backslash is kept as it is.
 */
export function splitPropertyPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      current += path[++i];
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** The value at a path of an event, or undefined when any step is missing or not an object. */
export function propertyAt(event: Record<string, unknown>, path: string): unknown {
  let value: unknown = event;
  for (const part of splitPropertyPath(path)) {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.prototype.hasOwnProperty.call(value, part)
    )
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
