import { Errors } from '@lattice/http';

/** Where the previous page of a search ended: its last result's rank (for order_by rank) and stream position. */
export interface SearchCursor {
  order: 'rank' | 'recent';
  rank: number;
  streamPos: bigint;
}

/** The opaque `next_batch` of a search: the order, the last rank and the last stream position. */
export function formatSearchToken(cursor: SearchCursor): string {
  return `${cursor.order === 'rank' ? 'k' : 'r'}${cursor.rank}_${cursor.streamPos}`;
}

export function parseSearchToken(token: string, order: SearchCursor['order']): SearchCursor {
  const match = /^([kr])(-?\d+(?:\.\d+)?(?:e-?\d+)?)_(-?\d{1,19})$/.exec(token);
  // A token of the other order would page from a point the results never pass.
  if (!match || (match[1] === 'k') !== (order === 'rank')) throw Errors.invalidParam(`Invalid next_batch: ${token}`);
  return { order, rank: Number(match[2]), streamPos: BigInt(match[3]) };
}
