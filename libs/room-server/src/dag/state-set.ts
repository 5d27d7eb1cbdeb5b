import { stateKey, type Pdu, type StateMap } from '@lattice/protocol';
import type { StateEntry } from '@lattice/rooms';

/** What a set derived while planning does to its base: the entries it sets, and the keys it drops (null). */
export type StateChanges = Map<string, StateEntry | null>;

/**
 * A state of the room (the state before or after some event) as the writer
 * handles it: its entries, and where it is or will be stored. A set loaded
 * from a stored snapshot knows its `snapshotNid` (null: the empty state
 * before the create event); a set made while planning names the `base` it
 * was derived from and its `changes` there, so storing it, and moving the
 * current state to it, costs what changed, not the size of the room's state
 * (a join to a room of 10,000 members changes one entry).
 */
export type StateSet = {
  entries: Map<string, StateEntry>;
  snapshotNid?: bigint | null;
} & ({ base?: undefined; changes?: undefined } | { base: StateSet; changes: StateChanges });

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
  const key = stateKey(event.pdu.type, event.pdu.state_key);
  const entry = { eventId: event.eventId, eventNid: event.eventNid ?? 0n, pdu: event.pdu };
  const entries = new Map(before.entries);
  entries.set(key, entry);
  return { entries, base: before, changes: new Map([[key, entry]]) };
}

/**
 * What `set` changes over the state stored as `snapshotNid` (an entry, or
 * null for a dropped key), when it was derived from that state while
 * planning; undefined when it was not (it came from another snapshot).
 * Later changes win: the chain is walked from `set` down.
 */
export function changesSince(set: StateSet, snapshotNid: bigint | null): StateChanges | undefined {
  const changes: StateChanges = new Map();
  for (let s: StateSet = set; s.snapshotNid !== snapshotNid; s = s.base) {
    if (!s.base) return undefined;
    for (const [key, entry] of s.changes) if (!changes.has(key)) changes.set(key, entry);
  }
  return changes;
}

/**
 * What moving a room's current state from its stored head to `next`
 * changes, and the entries that may still lack their nid (planned ones):
 * along the planning chain when `next` was derived from the head's
 * snapshot, entry by entry otherwise.
 */
export function currentStateChanges(
  head: { state: Map<string, StateEntry>; snapshotNid: bigint | null },
  next: StateSet,
): { changes: StateChanges; unnumbered: StateEntry[] } {
  const derived = changesSince(next, head.snapshotNid);
  const changes = derived ?? differences(head.state, next.entries);
  const candidates = derived ? [...derived.values()] : [...next.entries.values()];
  return { changes, unnumbered: candidates.filter((e): e is StateEntry => !!e && !e.eventNid) };
}

/** The changes that turn `from` into `to`, entry by entry: for states not derived from one another. */
export function differences(from: Map<string, StateEntry>, to: Map<string, StateEntry>): StateChanges {
  const changes: StateChanges = new Map();
  for (const [key, entry] of to) if (from.get(key)?.eventId !== entry.eventId) changes.set(key, entry);
  for (const key of from.keys()) if (!to.has(key)) changes.set(key, null);
  return changes;
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
 * The entries `changes` (of the current state `old`) change other than by
 * one of `events` itself: state resolution brought another event in (the
 * entry now), or dropped one (the entry before).
 */
export function changedByResolution(
  old: Map<string, StateEntry>,
  changes: StateChanges,
  events: Array<{ eventId: string }>,
): StateEntry[] {
  const own = new Set(events.map((e) => e.eventId));
  const changed: StateEntry[] = [];
  for (const [key, entry] of changes) {
    if ((entry && own.has(entry.eventId)) || old.get(key)?.eventId === entry?.eventId) continue;
    const changedEntry = entry ?? old.get(key);
    if (changedEntry) changed.push(changedEntry);
  }
  return changed;
}

/** The users whose membership changedByResolution() changed: their syncs must learn of the room. */
export function membershipsChangedByResolution(changed: StateEntry[]): string[] {
  return [...new Set(changed.filter((e) => e.pdu.type === 'm.room.member').map((e) => e.pdu.state_key!))];
}
