import type { Pdu } from '../events';

/** An event as state resolution sees it. */
export interface ResolvableEvent {
  eventId: string;
  pdu: Pdu;
  /** Rejected on receipt: never used as an auth event in the iterative auth checks. */
  rejected?: boolean;
}

/**
 * Where state resolution reads events: every event of the state sets and
 * of their auth chains must be available. It is synchronous on purpose:
 * the caller loads the auth chains in one batched query (a recursive CTE in
 * the room-server) before resolving, so the algorithm never waits on I/O
 * inside its loops.
 */
export interface EventSource {
  get(eventId: string): ResolvableEvent | undefined;
}

/** An EventSource over an in-memory list. */
export function eventSourceOf(events: Iterable<ResolvableEvent>): EventSource {
  const byId = new Map<string, ResolvableEvent>();
  for (const e of events) byId.set(e.eventId, e);
  return { get: (id) => byId.get(id) };
}
