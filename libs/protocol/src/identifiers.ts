/**
 * Identifier grammars (appendices.md "Identifier Grammar"). Everything here
 * is a pure check; limits are in UTF-8 bytes, as the spec states them.
 */

const MAX_ID_BYTES = 255;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;

/** Splits `host[:port]`, handling bracketed IPv6 literals. */
export function parseServerName(serverName: string): { host: string; port?: number } | undefined {
  let host: string;
  let rest: string;
  if (serverName.startsWith('[')) {
    const close = serverName.indexOf(']');
    if (close === -1) return undefined;
    host = serverName.slice(0, close + 1);
    rest = serverName.slice(close + 1);
  } else {
    const colon = serverName.indexOf(':');
    host = colon === -1 ? serverName : serverName.slice(0, colon);
    rest = colon === -1 ? '' : serverName.slice(colon);
  }
  let port: number | undefined;
  if (rest !== '') {
    if (!/^:\d{1,5}$/.test(rest)) return undefined;
    port = Number(rest.slice(1));
    if (port > 65535) return undefined;
  }
  if (!isValidHost(host)) return undefined;
  return { host, port };
}

function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && IPV6_CHARS.test(host.slice(1, -1));
  const v4 = IPV4.exec(host);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  return DNS_NAME.test(host);
}

export function isValidServerName(serverName: string): boolean {
  return parseServerName(serverName) !== undefined;
}

/** The server name after the first `:` of a sigilled ID (`@user:server`, `#alias:server`, `!room:server`). */
export function serverNameOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon === -1 ? undefined : id.slice(colon + 1);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Current user ID grammar: localpart of a-z 0-9 . _ = - / + (appendices "User Identifiers"). */
export function isValidUserId(userId: string): boolean {
  return hasSigilledLocalpart(userId, '@', /^[a-z0-9._=\-/+]+$/);
}

/**
 * Historical user IDs (appendices "Historical User IDs"): any printable ASCII
 * except `:`. Events from other servers may carry these, so event checks accept them.
 */
export function isValidHistoricalUserId(userId: string): boolean {
  return hasSigilledLocalpart(userId, '@', /^[\x21-\x39\x3b-\x7e]+$/);
}

function hasSigilledLocalpart(id: string, sigil: string, localpart: RegExp): boolean {
  if (!id.startsWith(sigil) || utf8Length(id) > MAX_ID_BYTES) return false;
  const colon = id.indexOf(':');
  if (colon === -1) return false;
  return localpart.test(id.slice(1, colon)) && isValidServerName(id.slice(colon + 1));
}

/** A room ID of any room version: `!opaque:server`, or v12's domainless `!` + reference hash. */
export function isRoomId(roomId: string): boolean {
  return isValidRoomId(roomId) || isValidRoomId(roomId, true);
}

/** Room aliases: `#localpart:server`, localpart without `:` or NUL. */
export function isValidRoomAlias(alias: string): boolean {
  return hasSigilledLocalpart(alias, '#', /^[^:\0]+$/u);
}

/** Room IDs: `!opaque:server` before v12; `!` + 43 URL-safe base64 characters (a sha256) from v12. */
export function isValidRoomId(roomId: string, domainless = false): boolean {
  if (domainless) return /^![A-Za-z0-9_-]{43}$/.test(roomId);
  return hasSigilledLocalpart(roomId, '!', /^[^:\0]+$/u);
}

/** Event IDs per format: `$opaque:server` (v1/v2), `$` + 43 base64 (v3) or URL-safe base64 (v4+) characters. */
export function isValidEventId(eventId: string, format: 'origin' | 'hash-base64' | 'hash-urlsafe'): boolean {
  if (utf8Length(eventId) > MAX_ID_BYTES) return false;
  switch (format) {
    case 'origin':
      return hasSigilledLocalpart(eventId, '$', /^[^:\0]+$/u);
    case 'hash-base64':
      return /^\$[A-Za-z0-9+/]{43}$/.test(eventId);
    case 'hash-urlsafe':
      return /^\$[A-Za-z0-9_-]{43}$/.test(eventId);
  }
}
