import { createHash } from 'node:crypto';
import { checkEventAuth } from '../auth/check-event-auth';
import { parseStateKey, type StateMap } from '../events';
import type { RoomVersion } from '../room-versions';
import type { EventSource } from './event-source';
import { lookupFor } from './state-lookup';

/** The order rooms/v1.md "State resolution" passes through conflicts: what affects auth first. */
const AUTH_TYPES = ['m.room.power_levels', 'm.room.join_rules', 'm.room.member'];

/**
 * State resolution v1 (room version 1). Known to reset state in some forks
 * (the spec's warning); implemented exactly so v1 rooms agree with other
 * servers.
 */
export function resolveV1(version: RoomVersion, stateSets: StateMap[], source: EventSource): StateMap {
  const resolved: StateMap = new Map();
  const conflicts = new Map<string, Set<string>>();
  for (const set of stateSets) {
    for (const [key, id] of set) (conflicts.get(key) ?? conflicts.set(key, new Set()).get(key)!).add(id);
  }
  for (const [key, ids] of [...conflicts]) {
    if (ids.size === 1) {
      resolved.set(key, [...ids][0]);
      conflicts.delete(key);
    }
  }
  const allowedIn = (id: string) => {
    const pdu = source.get(id)?.pdu;
    return pdu !== undefined && checkEventAuth(version, pdu, lookupFor(version, pdu, resolved, source)).allowed;
  };

  for (const type of AUTH_TYPES) {
    for (const [key, ids] of conflicts) {
      if (parseStateKey(key)[0] !== type) continue;
      // Ascending depth, then descending sha1(event_id); the first wins outright, later ones while they pass auth.
      const ordered = [...ids]
        .filter((id) => source.get(id))
        .sort((a, b) => depthOf(a, source) - depthOf(b, source) || sha1(b).localeCompare(sha1(a)));
      resolved.set(key, ordered[0]);
      for (const id of ordered.slice(1)) {
        if (!allowedIn(id)) break;
        resolved.set(key, id);
      }
      conflicts.delete(key);
    }
  }
  for (const [key, ids] of conflicts) {
    // Highest depth, then lowest sha1(event_id), among those that pass auth.
    const ordered = [...ids]
      .filter((id) => source.get(id))
      .sort((a, b) => depthOf(b, source) - depthOf(a, source) || sha1(a).localeCompare(sha1(b)));
    const winner = ordered.find(allowedIn);
    if (winner !== undefined) resolved.set(key, winner);
  }
  return resolved;
}

function depthOf(id: string, source: EventSource): number {
  return source.get(id)!.pdu.depth;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
