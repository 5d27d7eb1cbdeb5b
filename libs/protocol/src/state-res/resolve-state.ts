import type { StateMap } from '../events';
import type { RoomVersion } from '../room-versions';
import type { EventSource } from './event-source';
import { resolveV1 } from './resolve-v1';
import { resolveV2 } from './resolve-v2';

/**
 * Resolves a set of room states into one, with the algorithm of the room
 * version (v1; v2 for rooms 2-11; v2.1 for room 12). The result does not
 * depend on the order of `stateSets`.
 */
export function resolveState(version: RoomVersion, stateSets: StateMap[], source: EventSource): StateMap {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  return version.stateResolution === 'v1'
    ? resolveV1(version, stateSets, source)
    : resolveV2(version, stateSets, source);
}
