import { referencedIds, type Pdu } from '@lattice/protocol';
import type { Extremity } from '@lattice/rooms';

/**
 * The forward extremities once an event is in the DAG: an event that
 * counts (accepted, neither rejected nor soft failed) replaces the
 * extremities it names as prev_events and becomes one itself, unless an
 * event already stored names it as a prev event (it arrived late, so it is
 * not at the edge of the graph, and what follows it already moved the
 * extremities). An event that does not count changes nothing (server-server-api "Rejection" and "Soft failure": such events
 * are never referenced by the events this server makes).
 */
export function advanceExtremities(
  extremities: Extremity[],
  event: { eventId: string; pdu: Pdu },
  options: { counts: boolean; referencedByKnownEvent: boolean },
): Extremity[] {
  if (!options.counts || options.referencedByKnownEvent) return extremities;
  const prev = new Set(referencedIds(event.pdu.prev_events));
  const kept = extremities.filter((x) => !prev.has(x.eventId) && x.eventId !== event.eventId);
  return [...kept, { eventId: event.eventId, eventNid: 0n, depth: event.pdu.depth, sha256: event.pdu.hashes.sha256 }];
}
