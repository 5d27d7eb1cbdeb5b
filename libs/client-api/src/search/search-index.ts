import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import type { SearchKey } from '@lattice/rooms';
import type { SearchCursor } from './search-token';

/** One matching event of a page: where it is and how well it matched. */
export interface SearchHit {
  eventNid: bigint;
  streamPos: bigint;
  roomId: string;
  rank: number;
}

export interface SearchQuery {
  term: string;
  roomIds: string[];
  keys: readonly SearchKey[];
  senders?: string[];
  notSenders?: string[];
  order: SearchCursor['order'];
  after?: SearchCursor;
  limit: number;
}

/** The text-search configuration of the index (the triggers of migration 20261205160000 use the same). */
const CONFIG = `'english'`;

/**
 * A query the database expects to match more events than this (in all
 * rooms: the full-text index reads every match of a word wherever it is) is
 * answered by walking the searcher's rooms newest first instead: ranking or
 * counting each of 100,000 matches of a common word takes hundreds of
 * milliseconds, finding the newest few a handful.
 */
const INDEX_READ_LIMIT = 20_000;
/** Such a query ranks this many of the most recent matches (order_by recent still reaches all of them). */
export const RANK_WINDOW = 200;

/** How a query is answered, from the database's estimate of its matches. */
export interface SearchPlan {
  /** Matches in the searcher's rooms, as the planner estimates them. */
  estimate: number;
  /** Walk the rooms newest first (a common word), rather than read every match through the index. */
  walk: boolean;
}

/**
 * Queries over event_search (the tsvector index the database keeps of message
 * bodies, room names and topics). The query is read as a web search would
 * (websearch_to_tsquery: words, "quoted phrases", -exclusions, or), and
 * ranked by ts_rank_cd (cover density: matched words close together rank
 * higher). Soft-failed events are never indexed (the trigger of migration
 * 20261207300100 leaves them out).
 */
@Injectable()
export class SearchIndex {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The planner's estimate of the query's matches, in the searcher's rooms and in all. */
  async plan(query: SearchQuery): Promise<SearchPlan> {
    const [row] = await this.db.$queryRawUnsafe<Array<{ 'QUERY PLAN': unknown }>>(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM event_search s JOIN rooms r ON r.room_nid = s.room_nid
       WHERE s.vector @@ websearch_to_tsquery(${CONFIG}, $1) AND r.room_id = ANY($2::text[])`,
      query.term,
      query.roomIds,
    );
    const explained = row['QUERY PLAN'];
    // The driver may hand the json column over parsed or as text.
    const root = ((typeof explained === 'string' ? JSON.parse(explained) : explained) as Array<{ Plan: PlanNode }>)[0]
      .Plan;
    const everywhere = indexScanRows(root);
    return { estimate: root['Plan Rows'], walk: everywhere !== undefined && everywhere > INDEX_READ_LIMIT };
  }

  /**
   * A page of matches, and how many events match in all (the answer's
   * `count`, which search.yaml calls approximate), before the history
   * visibility check of each. Read through the index, the matches in the
   * searcher's rooms are gathered once for both (on the embedded database,
   * reading them from the table costs most of a search, and counting them
   * apart read them twice); walked, the count is the planner's estimate, as
   * counting a common word's every match is what the walk avoids.
   */
  async page(query: SearchQuery, plan: SearchPlan): Promise<{ hits: SearchHit[]; total: number }> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const q = `websearch_to_tsquery(${CONFIG}, ${param(query.term)})`;
    const rankOf = (alias: string) => `ts_rank_cd(${alias}.vector, ${q})`;
    const before = query.after && param(query.after.streamPos);
    const afterRank = (rank: string) =>
      query.after && query.order === 'rank'
        ? `(${rank}, m.stream_pos) < (${param(query.after.rank)}::real, ${before})`
        : undefined;
    let sql: string;
    if (!plan.walk) {
      const rank = rankOf('m');
      const after = afterRank(rank) ?? (before ? `m.stream_pos < ${before}` : 'true');
      // One row even when the page is empty, so the count comes back with it.
      sql = `WITH matches AS MATERIALIZED (
               SELECT m.event_nid, m.stream_pos, m.room_nid, m.vector FROM event_search m ${this.senderJoin(query, 'm')}
                WHERE ${this.conditions(query, q, param).join(' AND ')})
             SELECT p.*, total.n AS total FROM (SELECT count(*)::int AS n FROM matches) total
             LEFT JOIN LATERAL (
               SELECT m.event_nid, m.stream_pos, r.room_id, ${rank} AS rank FROM matches m JOIN rooms r ON r.room_nid = m.room_nid
                WHERE ${after} ORDER BY ${query.order === 'rank' ? 'rank DESC, ' : ''}m.stream_pos DESC LIMIT ${param(query.limit)}
             ) p ON true`;
    } else if (query.order === 'recent') {
      sql = `SELECT m.event_nid, m.stream_pos, m.room_id, ${rankOf('m')} AS rank FROM (${this.newest(query, q, param, query.limit, before)}) m ORDER BY m.stream_pos DESC`;
    } else {
      const after = afterRank(rankOf('m'));
      sql = `SELECT m.event_nid, m.stream_pos, m.room_id, ${rankOf('m')} AS rank FROM (${this.newest(query, q, param, RANK_WINDOW)}) m
             ${after ? `WHERE ${after}` : ''} ORDER BY rank DESC, m.stream_pos DESC LIMIT ${param(query.limit)}`;
    }
    const rows = await this.db.$queryRawUnsafe<
      Array<{ event_nid: bigint | null; stream_pos: bigint; room_id: string; rank: number; total?: number }>
    >(sql, ...params);
    return {
      hits: rows
        .filter((r) => r.event_nid !== null)
        .map((r) => ({
          eventNid: BigInt(r.event_nid!),
          streamPos: BigInt(r.stream_pos),
          roomId: r.room_id,
          rank: Number(r.rank),
        })),
      total: plan.walk ? Math.round(plan.estimate) : Number(rows[0]?.total ?? 0),
    };
  }

  /** The words of `texts` that the query matched, as written there (the answer's `highlights`: stemming finds "messages" for "message"). */
  async highlights(term: string, texts: string[]): Promise<string[]> {
    if (texts.length === 0) return [];
    const rows = await this.db.$queryRawUnsafe<Array<{ h: string }>>(
      `SELECT ts_headline(${CONFIG}, t, websearch_to_tsquery(${CONFIG}, $1), 'StartSel=${START}, StopSel=${STOP}, HighlightAll=TRUE') AS h FROM unnest($2::text[]) AS t`,
      term,
      texts,
    );
    const words = new Set<string>();
    for (const { h } of rows) for (const match of h.matchAll(HIGHLIGHTED)) words.add(match[1]);
    return [...words];
  }

  /** Matches of `m` for the query's keys and senders; in the query's rooms unless the caller joins `m` to one room. */
  private conditions(query: SearchQuery, q: string, param: (value: unknown) => string, inRooms = true): string[] {
    // Walking a room, the match is tested row by row: spelled as the function behind @@, which no index serves, so the
    // planner cannot turn back to the full-text index for each room (a common word's every match, once per room).
    const where = [
      inRooms ? `m.vector @@ ${q}` : `ts_match_vq(m.vector, ${q})`,
      `m.key = ANY(${param([...query.keys])}::text[])`,
    ];
    // The rooms' numbers once, for the index to use them together (joined to rooms, the plan ran the full-text index
    // once per room).
    if (inRooms)
      where.push(
        `m.room_nid = ANY(ARRAY(SELECT room_nid FROM rooms WHERE room_id = ANY(${param(query.roomIds)}::text[])))`,
      );
    if (query.senders) where.push(`e.sender = ANY(${param(query.senders)}::text[])`);
    if (query.notSenders) where.push(`NOT (e.sender = ANY(${param(query.notSenders)}::text[]))`);
    return where;
  }

  /** The events row of match `alias`, when a sender filter needs it. */
  private senderJoin(query: SearchQuery, alias: string): string {
    return query.senders || query.notSenders ? `JOIN events e ON e.event_nid = ${alias}.event_nid` : '';
  }

  /**
   * The `limit` newest matches (before position `before`, a parameter, when
   * given) in the query's rooms, with their vectors: each room read newest
   * first until it has `limit`, then the newest of those.
   */
  private newest(
    query: SearchQuery,
    q: string,
    param: (value: unknown) => string,
    limit: number,
    before?: string,
  ): string {
    const where = [...this.conditions(query, q, param, false), 'm.room_nid = r.room_nid'];
    if (before !== undefined) where.push(`m.stream_pos < ${before}`);
    const n = param(limit);
    return `SELECT found.*, r.room_id FROM rooms r CROSS JOIN LATERAL (
        SELECT m.event_nid, m.stream_pos, m.vector FROM event_search m ${this.senderJoin(query, 'm')}
        WHERE ${where.join(' AND ')} ORDER BY m.stream_pos DESC LIMIT ${n}
      ) found WHERE r.room_id = ANY(${param(query.roomIds)}::text[]) ORDER BY found.stream_pos DESC LIMIT ${n}`;
  }
}

interface PlanNode {
  'Plan Rows': number;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The rows the plan expects the full-text index to give, before any other condition. */
function indexScanRows(node: PlanNode): number | undefined {
  if (node['Index Name'] === 'event_search_vector_idx') return node['Plan Rows'];
  for (const child of node.Plans ?? []) {
    const rows = indexScanRows(child);
    if (rows !== undefined) return rows;
  }
  return undefined;
}

// Control characters cannot occur in the words ts_headline marks, so they delimit them unambiguously.
const START = '\u0001';
const STOP = '\u0002';
const HIGHLIGHTED = /\u0001([^\u0002]*)\u0002/g;
