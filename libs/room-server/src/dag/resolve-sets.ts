import { eventSourceOf, resolveState, type ResolvableEvent, type RoomVersion } from '@lattice/protocol';
import type { StateEntry } from '@lattice/rooms';
import type { DagReader } from './dag-reader';
import { differences, distinctStates, stateMapOf, type StateSet } from './state-set';

/**
 * One state from several (the states after an event's prev events, or
 * after the forward extremities): the room version's state resolution when
 * they disagree, the one state when they do not. The result is derived from
 * the first set, so storing it writes only what resolution changed.
 */
export async function resolveStateSets(
  version: RoomVersion,
  sets: StateSet[],
  reader: DagReader,
  planned: Map<string, ResolvableEvent>,
): Promise<StateSet> {
  const distinct = distinctStates(sets);
  if (distinct.length <= 1) return distinct[0] ?? { entries: new Map(), snapshotNid: null };
  const ids = new Set(distinct.flatMap((s) => [...s.entries.values()].map((e) => e.eventId)));
  const events = await reader.resolutionEvents(ids, planned);
  const source = eventSourceOf(events);
  const resolved = resolveState(version, distinct.map(stateMapOf), source);
  const known = new Map<string, StateEntry>();
  for (const set of distinct) for (const entry of set.entries.values()) known.set(entry.eventId, entry);
  const entries = new Map<string, StateEntry>();
  for (const [key, eventId] of resolved) {
    // Resolution may pick an event of the auth difference that none of the sets held (an older state event).
    const entry = known.get(eventId) ?? { eventId, eventNid: 0n, pdu: source.get(eventId)!.pdu };
    entries.set(key, entry);
  }
  return { entries, base: distinct[0], changes: differences(distinct[0].entries, entries) };
}
