import { Errors } from '@lattice/http';
import { parseSyncToken } from './positions/sync-token';

/**
 * /messages tokens: `t<stream position>` for positions inside a room's
 * timeline (negative for history fetched from other servers, which sorts
 * before everything this server had); a /sync next_batch is accepted too
 * (its events position).
 */
export function formatPaginationToken(streamPos: bigint): string {
  return `t${streamPos}`;
}

export function parsePaginationToken(token: string): bigint {
  if (/^t-?\d+$/.test(token)) return BigInt(token.slice(1));
  if (token.startsWith('s')) return parseSyncToken(token).events;
  throw Errors.invalidParam(`Invalid pagination token: ${token}`);
}
