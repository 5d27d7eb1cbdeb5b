import { Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { BundledAggregations, SEARCH_KEYS, toClientEvent, type StoredEvent, type Viewer } from '@lattice/rooms';
import { formatPaginationToken, roomEventMatches, type RoomEventFilter } from '@lattice/streams';
import { StorageAccess } from '../storage-access';
import { SearchIndex, type SearchHit, type SearchPlan, type SearchQuery } from './search-index';
import type { RoomEventsCriteria } from './search-schemas';
import { formatSearchToken, parseSearchToken } from './search-token';

/** The filter's `limit` when none is given (the spec leaves it to the server; Synapse's is 10). */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
/** search.yaml: before_limit and after_limit default to 5. */
const DEFAULT_CONTEXT = 5;
const MAX_CONTEXT = 100;
/** Pages of candidates read to fill one page of results the viewer may see, before answering with fewer and a next_batch. */
const MAX_ROUNDS = 5;

interface Found {
  hit: SearchHit;
  event: StoredEvent;
}

type ContextCriteria = NonNullable<RoomEventsCriteria['event_context']>;
type GroupKey = 'room_id' | 'sender';

/**
 * The room_events category of POST /search (client-server-api "Server Side
 * Search"): matches in the rooms the user is joined to (narrowed by the
 * filter), each result and each context event passing the history
 * visibility check, ranked or newest first, with context, room state and
 * groupings when asked.
 */
@Injectable()
export class RoomEventSearch {
  constructor(
    private readonly storage: StorageAccess,
    private readonly index: SearchIndex,
    private readonly bundles: BundledAggregations,
  ) {}

  async search(viewer: Viewer, criteria: RoomEventsCriteria, nextBatch: string | undefined): Promise<JsonObject> {
    const order = criteria.order_by ?? 'rank';
    const filter = criteria.filter;
    const joined = (await this.storage.reader.roomsOfUser(viewer.userId, ['join'])).map((r) => r.roomId);
    const query: SearchQuery = {
      term: criteria.search_term,
      roomIds: joined.filter(
        (roomId) => (!filter?.rooms || filter.rooms.includes(roomId)) && !filter?.not_rooms?.includes(roomId),
      ),
      keys: criteria.keys ?? SEARCH_KEYS,
      senders: filter?.senders,
      notSenders: filter?.not_senders,
      order,
      after: nextBatch === undefined ? undefined : parseSearchToken(nextBatch, order),
      limit: Math.min(filter?.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
    };
    const plan = await this.index.plan(query);
    const { found, resumeAfter, count } = await this.visibleMatches(viewer, query, plan, filter);
    const clientEvents = await this.bundles.clientEvents(
      viewer,
      found.map((f) => f.event),
    );
    const results = await Promise.all(
      found.map(async ({ hit, event }, i) => ({
        rank: hit.rank,
        result: clientEvents[i],
        ...(criteria.event_context ? { context: await this.context(viewer, event, criteria.event_context) } : {}),
      })),
    );
    const texts = found.map((f) => searchableText(f.event)).filter((t): t is string => t !== undefined);
    return {
      count,
      highlights: await this.index.highlights(criteria.search_term, texts),
      results,
      ...(resumeAfter
        ? { next_batch: formatSearchToken({ order, rank: resumeAfter.rank, streamPos: resumeAfter.streamPos }) }
        : {}),
      ...(criteria.include_state ? { state: await this.roomStates(viewer, found) } : {}),
      ...(criteria.groupings?.group_by?.length
        ? {
            groups: groupsOf(
              found,
              criteria.groupings.group_by.map((g) => g.key),
            ),
          }
        : {}),
    };
  }

  /**
   * Pages of candidates until `limit` of them pass the viewer's history
   * visibility and the filter, or none are left; `resumeAfter` is the last
   * candidate looked at when the page is full or candidates remain; `count`
   * is the index's count of matches in all.
   */
  private async visibleMatches(
    viewer: Viewer,
    query: SearchQuery,
    plan: SearchPlan,
    filter: RoomEventFilter | undefined,
  ): Promise<{ found: Found[]; resumeAfter?: SearchHit; count: number }> {
    const found: Found[] = [];
    let after = query.after;
    let lastExamined: SearchHit | undefined;
    let count: number | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const page = await this.index.page({ ...query, after, limit: query.limit + 1 }, plan);
      const hits = page.hits;
      count ??= page.total;
      const candidates = hits.slice(0, query.limit);
      const stored = await this.storage.visibility.visibleToUser(
        viewer.userId,
        await this.storage.reader.eventsByNid(candidates.map((h) => h.eventNid)),
      );
      const visible = new Map(stored.map((e) => [e.streamPos, e]));
      for (const hit of candidates) {
        const event = visible.get(hit.streamPos);
        if (
          event &&
          roomEventMatches(filter, {
            type: event.pdu.type,
            sender: event.pdu.sender,
            room_id: event.roomId,
            content: event.pdu.content,
          })
        )
          found.push({ hit, event });
        // A full page always carries a next_batch, as Synapse's does (and sytest and Complement expect):
        // the spec lets a token lead to an empty page, and only a page with room to spare ends the results.
        if (found.length === query.limit) return { found, resumeAfter: hit, count };
      }
      if (hits.length <= query.limit) return { found, count };
      lastExamined = candidates.at(-1)!;
      after = { order: query.order, rank: lastExamined.rank, streamPos: lastExamined.streamPos };
    }
    return { found, resumeAfter: lastExamined, count: count ?? 0 };
  }

  /** search.yaml EventContext: visible events around the result, with tokens /messages pages on from, and the senders' profiles when asked. */
  private async context(viewer: Viewer, event: StoredEvent, asked: ContextCriteria): Promise<JsonObject> {
    const around = async (backwards: boolean, limit: number) =>
      limit === 0
        ? []
        : this.storage.visibility.visibleToUser(
            viewer.userId,
            await this.storage.reader.timeline(
              event.roomId,
              backwards ? { before: event.streamPos, limit, backwards } : { after: event.streamPos, limit, backwards },
            ),
          );
    const [before, after] = await Promise.all([
      around(true, Math.min(asked.before_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT)),
      around(false, Math.min(asked.after_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT)),
    ]);
    const earliest = before.at(-1)?.streamPos ?? event.streamPos;
    const latest = after.at(-1)?.streamPos ?? event.streamPos;
    return {
      events_before: before.map((e) => toClientEvent(e, viewer)),
      events_after: after.map((e) => toClientEvent(e, viewer)),
      // /messages tokens name the point just before a position: start is before the earliest event shown, end after the latest.
      start: formatPaginationToken(earliest),
      end: formatPaginationToken(latest + 1n),
      ...(asked.include_profile
        ? { profile_info: await this.profiles(event.roomId, [event, ...before, ...after]) }
        : {}),
    };
  }

  /** The senders' display names and avatars as their current member events in the room give them. */
  private async profiles(roomId: string, events: StoredEvent[]): Promise<JsonObject> {
    const senders = [...new Set(events.map((e) => e.pdu.sender))];
    const entries = await Promise.all(
      senders.map(async (sender) => {
        const content = (await this.storage.reader.stateEvent(roomId, 'm.room.member', sender))?.pdu.content ?? {};
        return [
          sender,
          {
            ...(typeof content.displayname === 'string' ? { displayname: content.displayname } : {}),
            ...(typeof content.avatar_url === 'string' ? { avatar_url: content.avatar_url } : {}),
          },
        ] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** The current state of each room with a result (the user is joined to all of them). */
  private async roomStates(viewer: Viewer, found: Found[]): Promise<JsonObject> {
    const roomIds = [...new Set(found.map((f) => f.event.roomId))];
    const states = await Promise.all(
      roomIds.map(
        async (roomId) =>
          [roomId, (await this.storage.reader.currentState(roomId)).map((e) => toClientEvent(e, viewer))] as const,
      ),
    );
    return Object.fromEntries(states);
  }
}

/** The text the index holds for an event (its body, name or topic), for finding the words to highlight. */
function searchableText(event: StoredEvent): string | undefined {
  const { body, name, topic } = event.pdu.content;
  const text = event.pdu.type === 'm.room.message' ? body : event.pdu.type === 'm.room.name' ? name : topic;
  return typeof text === 'string' ? text : undefined;
}

/** search.yaml `groups`: for each key asked, the results' event IDs by room or sender, groups ordered by their best result. */
function groupsOf(found: Found[], keys: GroupKey[]): JsonObject {
  const groups: JsonObject = {};
  for (const key of keys) {
    const byValue = new Map<string, string[]>();
    for (const { event } of found) {
      const value = key === 'room_id' ? event.roomId : event.pdu.sender;
      byValue.set(value, [...(byValue.get(value) ?? []), event.eventId]);
    }
    groups[key] = Object.fromEntries(
      [...byValue].map(([value, results], order) => [value, { results, order: order + 1 }]),
    );
  }
  return groups;
}
