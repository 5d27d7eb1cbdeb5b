import { parseServerName } from './identifiers';
import type { JsonObject } from './events';

/**
 * Whether a room's server ACL (the content of its m.room.server_acl state
 * event, undefined when it has none) lets `serverName` take part. The
 * order of the checks is the event schema's: no ACL allows; an IP literal
 * is denied when allow_ip_literals is false; then deny, then allow, and
 * anything else is denied. Ports are not considered, and the patterns are
 * case-insensitive globs (appendices "Glob-style matching").
 */
export function serverAclAllows(acl: JsonObject | undefined, serverName: string): boolean {
  if (acl === undefined) return true;
  const host = (parseServerName(serverName)?.host ?? serverName).toLowerCase();
  const isIpLiteral = host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  // "Defaults to true if missing or otherwise not a boolean."
  if (isIpLiteral && acl.allow_ip_literals === false) return false;
  if (patterns(acl.deny).some((pattern) => pattern.test(host))) return false;
  return patterns(acl.allow).some((pattern) => pattern.test(host));
}

/** A list of globs as anchored, case-insensitive expressions; anything that is not a string is ignored. */
function patterns(list: unknown): RegExp[] {
  if (!Array.isArray(list)) return [];
  return list.filter((p): p is string => typeof p === 'string').map(globPattern);
}

/** `*` is any run of characters, `?` exactly one; everything else is itself. */
export function globPattern(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'is');
}
