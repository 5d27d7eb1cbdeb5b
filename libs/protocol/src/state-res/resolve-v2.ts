import { checkEventAuth } from '../auth/check-event-auth';
import { powerLevelOf } from '../auth/power-levels';
import { referencedIds, stateKey, type Pdu, type StateMap } from '../events';
import type { RoomVersion } from '../room-versions';
import { AuthGraph } from './auth-graph';
import type { EventSource } from './event-source';
import { MinHeap } from './heap';
import { lookupFor } from './state-lookup';
import { partitionStateSets } from './partition';

/**
 * State resolution v2 (rooms/v2.md) and its v12 revision "v2.1"
 * (rooms/v12.md): the iterative auth checks of step 2 start from the empty
 * state, and the full conflicted set also holds the conflicted state
 * subgraph.
 */
export function resolveV2(version: RoomVersion, stateSets: StateMap[], source: EventSource): StateMap {
  const { unconflicted, conflicted } = partitionStateSets(stateSets);
  if (conflicted.size === 0) return unconflicted;
  const graph = new AuthGraph(source);
  const v21 = version.stateResolution === 'v2.1';

  const fullConflicted = new Set<string>([
    ...conflicted,
    ...authDifference(stateSets, unconflicted, conflicted, graph),
  ]);
  if (v21) for (const id of graph.subgraphBetween(conflicted)) fullConflicted.add(id);
  for (const id of [...fullConflicted]) if (!source.get(id)) fullConflicted.delete(id);

  // Step 1: power events and the parts of their auth chains in the full conflicted set.
  const powerEvents = new Set([...fullConflicted].filter((id) => isPowerEvent(source.get(id)!.pdu)));
  for (const id of [...powerEvents]) {
    for (const a of graph.authChain([id])) if (fullConflicted.has(a)) powerEvents.add(a);
  }
  const sortedPower = reverseTopologicalPowerOrder(version, powerEvents, graph, source);

  // Step 2.
  const partial = iterativeAuthChecks(version, v21 ? new Map() : new Map(unconflicted), sortedPower, source);

  // Steps 3 and 4.
  const rest = [...fullConflicted].filter((id) => !powerEvents.has(id));
  const resolved = iterativeAuthChecks(
    version,
    partial,
    mainlineOrder(rest, partial.get(stateKey('m.room.power_levels', '')), source),
    source,
  );

  // Step 5.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}

/** rooms/v2.md "Power events". */
function isPowerEvent(pdu: Pdu): boolean {
  if (pdu.state_key === undefined) return false;
  if (pdu.type === 'm.room.power_levels' || pdu.type === 'm.room.join_rules') return pdu.state_key === '';
  if (pdu.type !== 'm.room.member') return false;
  const membership = pdu.content.membership;
  return (membership === 'leave' || membership === 'ban') && pdu.sender !== pdu.state_key;
}

/**
 * "Auth difference": ∪C_i − ∩C_i over the full auth chains C_i of the
 * state sets. The chains of unconflicted events are in every C_i, so only
 * the chains of conflicted events need computing per set; an event in them
 * is in the difference unless it is in every set's chain or in the common part.
 */
function authDifference(
  stateSets: StateMap[],
  unconflicted: StateMap,
  conflicted: Set<string>,
  graph: AuthGraph,
): Set<string> {
  const perSet = stateSets.map((set) => graph.authChain([...set.values()].filter((id) => conflicted.has(id))));
  const candidates = new Set<string>();
  for (const chain of perSet) for (const id of chain) candidates.add(id);
  if (candidates.size === 0) return candidates;
  const common = graph.authChain(unconflicted.values());
  const difference = new Set<string>();
  for (const id of candidates) {
    if (common.has(id)) continue;
    if (perSet.every((chain) => chain.has(id))) continue;
    difference.add(id);
  }
  return difference;
}

/**
 * "Reverse topological power ordering": Kahn's algorithm over the auth DAG
 * restricted to `events`, taking at each step the smallest ready event by
 * (sender power level descending, origin_server_ts, event ID).
 */
function reverseTopologicalPowerOrder(
  version: RoomVersion,
  events: Set<string>,
  graph: AuthGraph,
  source: EventSource,
): string[] {
  const info = new Map<string, { power: number; ts: number }>();
  const dependents = new Map<string, string[]>();
  const pending = new Map<string, number>();
  for (const id of events) {
    const pdu = source.get(id)!.pdu;
    info.set(id, {
      power: powerLevelOf(version, pdu.sender, lookupFor(version, pdu, undefined, source)),
      ts: pdu.origin_server_ts,
    });
    const inSet = graph.authEventsOf(id).filter((a) => events.has(a));
    pending.set(id, inSet.length);
    for (const a of inSet) (dependents.get(a) ?? dependents.set(a, []).get(a)!).push(id);
  }
  const heap = new MinHeap<string>((x, y) => {
    const a = info.get(x)!;
    const b = info.get(y)!;
    if (a.power !== b.power) return a.power > b.power;
    if (a.ts !== b.ts) return a.ts < b.ts;
    return x < y;
  });
  for (const [id, count] of pending) if (count === 0) heap.push(id);
  const ordered: string[] = [];
  while (heap.size > 0) {
    const id = heap.pop()!;
    ordered.push(id);
    for (const d of dependents.get(id) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) heap.push(d);
    }
  }
  return ordered;
}

/**
 * "Mainline ordering" based on the resolved power levels event: events whose
 * power-level ancestry meets the mainline earlier (further from P) sort first.
 */
function mainlineOrder(events: string[], powerLevelsId: string | undefined, source: EventSource): string[] {
  const position = new Map<string, number>();
  let index = 0;
  for (let p = powerLevelsId; p !== undefined; p = powerLevelsIn(p, source)) position.set(p, index++);

  const memo = new Map<string, number>();
  const mainlinePosition = (id: string): number => {
    const walked: string[] = [];
    let found = Infinity;
    for (let e = powerLevelsIn(id, source); e !== undefined; e = powerLevelsIn(e, source)) {
      const known = position.get(e) ?? memo.get(e);
      if (known !== undefined) {
        found = known;
        break;
      }
      walked.push(e);
    }
    // Every walked event has the same answer as `id`: the first mainline event below it.
    for (const e of walked) memo.set(e, found);
    return found;
  };

  const keyed = events.map((id) => {
    const pdu = source.get(id)!.pdu;
    return { id, position: mainlinePosition(id), ts: pdu.origin_server_ts };
  });
  keyed.sort((a, b) =>
    a.position !== b.position
      ? b.position - a.position
      : a.ts !== b.ts
        ? a.ts - b.ts
        : a.id < b.id
          ? -1
          : a.id > b.id
            ? 1
            : 0,
  );
  return keyed.map((k) => k.id);
}

/** The m.room.power_levels event among an event's auth_events. */
function powerLevelsIn(eventId: string, source: EventSource): string | undefined {
  const event = source.get(eventId);
  if (!event) return undefined;
  return referencedIds(event.pdu.auth_events).find((a) => {
    const pdu = source.get(a)?.pdu;
    return pdu?.type === 'm.room.power_levels' && pdu.state_key === '';
  });
}

/** "Iterative auth checks": apply each event that the auth rules allow against the state so far. */
function iterativeAuthChecks(version: RoomVersion, start: StateMap, ordered: string[], source: EventSource): StateMap {
  const state = new Map(start);
  for (const id of ordered) {
    const pdu = source.get(id)!.pdu;
    if (pdu.state_key === undefined) continue;
    if (checkEventAuth(version, pdu, lookupFor(version, pdu, state, source)).allowed)
      state.set(stateKey(pdu.type, pdu.state_key), id);
  }
  return state;
}
