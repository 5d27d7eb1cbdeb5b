import { stateKey, type Pdu, type StateMap } from '@lattice/protocol';
import type { StateEntry } from '@lattice/rooms';

/**
 * A state of the room (the state before or after some event) as the writer
 * handles it: its entries, and where it is or will be stored. A set loaded
 * from a stored snapshot knows its `snapshotNid` (null: the empty state
 * before the create event); a set made while planning names the `base` it
 * was derived from, so storing it costs one layer per changed entry.
 */
export interface StateSet {
  entries: Map<string, StateEntry>;
  snapshotNid?: bigint | null;
  base?: StateSet;
}

/** The empty state: what the create event is sent on. */
export const EMPTY_STATE: StateSet = { entries: new Map(), snapshotNid: null };

/**
 * The state after an event, from the state before it: a state event that
 * was accepted sets its (type, state_key); anything else, and a rejected
 * event (server-server-api "Rejection": the state is "not updated with the
 * rejected event"), leaves the state as it was.
 */
export function stateAfter(
  before: StateSet,
  event: { eventId: string; eventNid?: bigint; pdu: Pdu },
  rejected: boolean,
): StateSet {
  if (rejected || event.pdu.state_key === undefined) return before;
  const entries = new Map(before.entries);
  entries.set(stateKey(event.pdu.type, event.pdu.state_key), {
    eventId: event.eventId,
    eventNid: event.eventNid ?? 0n,
    pdu: event.pdu,
  });
  return { entries, base: before };
}

/** The set as state resolution takes it: stateKey -> event ID. */
export function stateMapOf(set: StateSet): StateMap {
  return new Map([...set.entries].map(([key, entry]) => [key, entry.eventId]));
}

/** Whether two sets hold the same events. */
export function sameState(a: StateSet, b: StateSet): boolean {
  if (a === b) return true;
  if (a.entries.size !== b.entries.size) return false;
  for (const [key, entry] of a.entries) if (b.entries.get(key)?.eventId !== entry.eventId) return false;
  return true;
}

/** The distinct states among `sets` (one set per distinct state, first wins). */
export function distinctStates(sets: StateSet[]): StateSet[] {
  const distinct: StateSet[] = [];
  for (const set of sets) if (!distinct.some((d) => sameState(d, set))) distinct.push(set);
  return distinct;
}

/**
 * The entries that changed between two current states other than by one of
 * `events` itself: state resolution brought another event in (the entry
 * now), or dropped one (the entry before).
 */
export function changedByResolution(
  old: Map<string, StateEntry>,
  next: Map<string, StateEntry>,
  events: Array<{ eventId: string }>,
): StateEntry[] {
  const own = new Set(events.map((e) => e.eventId));
  const changed: StateEntry[] = [];
  for (const [key, entry] of next)
    if (old.get(key)?.eventId !== entry.eventId && !own.has(entry.eventId)) changed.push(entry);
  for (const [key, entry] of old) if (!next.has(key)) changed.push(entry);
  return changed;
}

/** The users whose membership changedByResolution() changed: their syncs must learn of the room. */
export function membershipsChangedByResolution(changed: StateEntry[]): string[] {
  return [...new Set(changed.filter((e) => e.pdu.type === 'm.room.member').map((e) => e.pdu.state_key!))];
}
