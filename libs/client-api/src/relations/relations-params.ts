import { Errors } from '@lattice/http';
import { parsePaginationToken } from '@lattice/streams';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
/** How deep `recurse=true` follows relationships: the spec asks for at least 3 levels. */
export const RECURSION_DEPTH = 3;

/** A page request of /relations, read from its query string. */
export interface RelationsPage {
  backwards: boolean;
  from?: bigint;
  to?: bigint;
  limit: number;
  /** Levels of relationships followed. */
  depth: number;
  /** Whether the client asked about recursion (then the answer says how deep it went). */
  recurseGiven: boolean;
}

/**
 * `dir` (b by default), `from`/`to` (the /messages tokens, so /sync and
 * /messages tokens work too), `limit` (servers pick the default and maximum;
 * larger values are lowered), `recurse` (false by default).
 */
export function parseRelationsPage(query: {
  dir?: string;
  from?: string;
  to?: string;
  limit?: string;
  recurse?: string;
}): RelationsPage {
  if (query.dir !== undefined && query.dir !== 'b' && query.dir !== 'f')
    throw Errors.invalidParam('dir must be "b" or "f"');
  if (query.recurse !== undefined && query.recurse !== 'true' && query.recurse !== 'false')
    throw Errors.invalidParam('recurse must be true or false');
  return {
    backwards: query.dir !== 'f',
    from: query.from === undefined ? undefined : parsePaginationToken(query.from),
    to: query.to === undefined ? undefined : parsePaginationToken(query.to),
    limit: parseLimit(query.limit, DEFAULT_LIMIT),
    depth: query.recurse === 'true' ? RECURSION_DEPTH : 1,
    recurseGiven: query.recurse !== undefined,
  };
}

/** A page request of /threads. */
export interface ThreadsPage {
  participatedOnly: boolean;
  /** Threads whose latest reply is before this position. */
  before?: bigint;
  limit: number;
}

export function parseThreadsPage(query: { include?: string; from?: string; limit?: string }): ThreadsPage {
  if (query.include !== undefined && query.include !== 'all' && query.include !== 'participated')
    throw Errors.invalidParam('include must be "all" or "participated"');
  return {
    participatedOnly: query.include === 'participated',
    before: query.from === undefined ? undefined : parsePaginationToken(query.from),
    limit: parseLimit(query.limit, DEFAULT_LIMIT),
  };
}

function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) throw Errors.invalidParam('limit must be an integer greater than zero');
  return Math.min(limit, MAX_LIMIT);
}
