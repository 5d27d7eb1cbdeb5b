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

/**
 * Stream positions are PostgreSQL bigints: a token beyond their range names
 * no position (one inside each end, for the bound one past a position that
 * readers compute).
 */
const MIN_POSITION = -(2n ** 63n) + 1n;
const MAX_POSITION = 2n ** 63n - 2n;

export function parsePaginationToken(token: string): bigint {
  if (/^t-?\d+$/.test(token)) {
    const position = BigInt(token.slice(1));
    if (position >= MIN_POSITION && position <= MAX_POSITION) return position;
  }
  if (token.startsWith('s')) return parseSyncToken(token).events;
  throw Errors.invalidParam(`Invalid pagination token: ${token}`);
}
