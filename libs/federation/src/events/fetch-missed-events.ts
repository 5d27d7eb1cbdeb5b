import { referencedIds, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import type { ServerKeys } from '../keys/server-keys';
import { fetchHistory } from './fetch-history';

/** The most events a rejoin fetches to close the gap since this server left (one /backfill answer). */
const MAX_MISSED = 100;

/**
 * The events of a room this server had left, between what it has and
 * `latest` (the prev events of its rejoin): asked of the room's servers
 * with /backfill (server-server-api "Backfilling and retrieving missing
 * events") and kept only if they close the gap, every one's prev events
 * being here or among them; oldest first. A gap too long for one answer
 * gives nothing: the join is then placed on the state the resident sent,
 * with a gap before it, as any event whose prev events are unknown.
 */
export async function fetchMissedEvents(
  client: FederationClient,
  keys: ServerKeys,
  request: {
    origin: string;
    servers: string[];
    roomId: string;
    version: RoomVersion;
    latest: string[];
    /** Which of these events this server has in its DAG. */
    known(eventIds: string[]): Promise<Set<string>>;
  },
): Promise<Array<{ eventId: string; pdu: Pdu }>> {
  const fetched = await fetchHistory(client, keys, { ...request, from: request.latest, limit: MAX_MISSED });
  const referenced = fetched.flatMap((e) => referencedIds(e.pdu.prev_events));
  const known = await request.known([...new Set([...request.latest, ...fetched.map((e) => e.eventId), ...referenced])]);
  const missed = [...new Map(fetched.filter((e) => !known.has(e.eventId)).map((e) => [e.eventId, e])).values()];
  const have = (id: string) => known.has(id) || missed.some((e) => e.eventId === id);
  const closesGap = request.latest.every(have) && missed.every((e) => referencedIds(e.pdu.prev_events).every(have));
  return closesGap ? missed.sort((a, b) => a.pdu.depth - b.pdu.depth) : [];
}
