import { Errors } from '@lattice/http';
import { parseSyncToken } from './sync-token';

/**
 * /messages tokens: `t<p>` is the point just before the event at stream
 * position p (negative for history fetched from other servers, which sorts
 * before everything this server had): pages backwards from it start at p-1,
 * forwards at p. A /sync next_batch is accepted too: it points just after
 * its events position N, the same point as `t<N+1>`.
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
  if (token.startsWith('s')) return parseSyncToken(token).events + 1n;
  throw Errors.invalidParam(`Invalid pagination token: ${token}`);
}
