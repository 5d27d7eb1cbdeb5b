import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import type { SearchKey } from './search-schemas';
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
 * Queries over event_search (the tsvector index the database keeps of message
 * bodies, room names and topics). The query is read as a web search would
 * (websearch_to_tsquery: words, "quoted phrases", -exclusions, or), and
 * ranked by ts_rank_cd (cover density: matched words close together rank
 * higher). Soft-failed events are never results.
 */
@Injectable()
export class SearchIndex {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async page(query: SearchQuery): Promise<SearchHit[]> {
    const { where, params } = this.conditions(query);
    const rank = `ts_rank_cd(s.vector, q)`;
    if (query.after) {
      params.push(query.after.streamPos);
      const pos = `$${params.length}`;
      if (query.order === 'rank') {
        params.push(query.after.rank);
        where.push(`(${rank}, s.stream_pos) < ($${params.length}::real, ${pos})`);
      } else where.push(`s.stream_pos < ${pos}`);
    }
    params.push(query.limit);
    const rows = await this.db.$queryRawUnsafe<
      Array<{ event_nid: bigint; stream_pos: bigint; room_id: string; rank: number }>
    >(
      `SELECT s.event_nid, s.stream_pos, r.room_id, ${rank} AS rank ${this.from()} WHERE ${where.join(' AND ')}
       ORDER BY ${query.order === 'rank' ? `${rank} DESC, ` : ''}s.stream_pos DESC LIMIT $${params.length}`,
      ...params,
    );
    return rows.map((r) => ({
      eventNid: BigInt(r.event_nid),
      streamPos: BigInt(r.stream_pos),
      roomId: r.room_id,
      rank: Number(r.rank),
    }));
  }

  /** How many events match in all (the answer's `count`), before the history visibility check of each. */
  async count(query: SearchQuery): Promise<number> {
    const { where, params } = this.conditions(query);
    const [row] = await this.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n ${this.from()} WHERE ${where.join(' AND ')}`,
      ...params,
    );
    return Number(row.n);
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

  private from(): string {
    return `FROM event_search s CROSS JOIN websearch_to_tsquery(${CONFIG}, $1) AS q
      JOIN rooms r ON r.room_nid = s.room_nid JOIN events e ON e.event_nid = s.event_nid`;
  }

  private conditions(query: SearchQuery): { where: string[]; params: unknown[] } {
    const params: unknown[] = [query.term, query.roomIds, [...query.keys]];
    const where = ['s.vector @@ q', 'r.room_id = ANY($2::text[])', 's.key = ANY($3::text[])', 'NOT e.is_soft_failed'];
    if (query.senders) where.push(`e.sender = ANY($${params.push(query.senders)}::text[])`);
    if (query.notSenders) where.push(`NOT (e.sender = ANY($${params.push(query.notSenders)}::text[]))`);
    return { where, params };
  }
}

// Control characters cannot occur in the words ts_headline marks, so they delimit them unambiguously.
const START = '\u0001';
const STOP = '\u0002';
const HIGHLIGHTED = /\u0001([^\u0002]*)\u0002/g;
