import type { JsonObject, Pdu } from '@lattice/protocol';
import type { StoredEvent } from '../room-reader';
import { relationOf } from './relates-to';

/**
 * Whether `replacement` may replace `original` (client-server-api "Validity
 * of replacement events"): same room, sender and type, neither a state
 * event, the original not itself an edit, and `m.new_content` present. An
 * encrypted replacement carries `m.new_content` in its ciphertext, which the
 * server cannot read, so that check is left to clients.
 */
export function isValidReplacement(original: Pdu, replacement: Pdu): boolean {
  if (
    original.room_id !== replacement.room_id ||
    original.sender !== replacement.sender ||
    original.type !== replacement.type
  )
    return false;
  if (original.state_key !== undefined || replacement.state_key !== undefined) return false;
  if (relationOf(original.content)?.relType === 'm.replace') return false;
  if (replacement.type === 'm.room.encrypted') return true;
  const newContent = replacement.content['m.new_content'];
  return typeof newContent === 'object' && newContent !== null && !Array.isArray(newContent);
}

/** The most recent replacement: latest origin_server_ts, ties to the lexicographically largest event ID. */
export function mostRecentReplacement(replacements: StoredEvent[]): StoredEvent | undefined {
  let best: StoredEvent | undefined;
  for (const candidate of replacements) {
    if (!best) best = candidate;
    else if (
      candidate.pdu.origin_server_ts !== best.pdu.origin_server_ts
        ? candidate.pdu.origin_server_ts > best.pdu.origin_server_ts
        : candidate.eventId > best.eventId
    )
      best = candidate;
  }
  return best;
}

/** The latest event of a thread: topologically, which here is by stream position. */
export function latestInThread(replies: StoredEvent[]): StoredEvent | undefined {
  return replies.reduce<StoredEvent | undefined>(
    (latest, reply) => (!latest || reply.streamPos > latest.streamPos ? reply : latest),
    undefined,
  );
}

/**
 * The `m.thread` aggregation: the latest reply (already formatted), how many
 * replies there are, and whether the viewer started the thread or replied in it.
 */
export function threadAggregation(
  latestEvent: JsonObject,
  count: number,
  viewerSentRoot: boolean,
  viewerReplied: boolean,
): JsonObject {
  return { latest_event: latestEvent, count, current_user_participated: viewerSentRoot || viewerReplied };
}

/** State events get no bundled aggregations (client-server-api "Aggregations of child events"). */
export function mayHaveAggregations(event: StoredEvent): boolean {
  return event.pdu.state_key === undefined;
}
