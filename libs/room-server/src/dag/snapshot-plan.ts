import type { StateEntry } from '@lattice/rooms';
import type { StateSet } from './state-set';

/** Changed entries stored as layers over the base up to this many; more (or a removal) is a full copy. */
const MAX_LAYERED_CHANGES = 8;

/** How a set that is not stored yet gets stored: as layers over its base's snapshot, or as a full copy. */
export type SnapshotPlan = { base: StateSet; changes: StateEntry[] } | { full: StateEntry[] };

/**
 * The entries a set adds to or changes in its base: its recorded changes,
 * so planning costs what changed, not the size of the state. A set whose
 * base is not known or that drops an entry of it (state resolution can) is
 * stored whole.
 */
export function planSnapshot(set: StateSet): SnapshotPlan {
  if (!set.base) return { full: [...set.entries.values()] };
  const changes: StateEntry[] = [];
  for (const entry of set.changes.values()) {
    if (!entry) return { full: [...set.entries.values()] };
    changes.push(entry);
  }
  return changes.length <= MAX_LAYERED_CHANGES ? { base: set.base, changes } : { full: [...set.entries.values()] };
}

/** The sets that may have to be written for `set` (it, then its bases), up to one already stored. */
export function unstoredChain(set: StateSet): StateSet[] {
  const chain: StateSet[] = [];
  for (let s: StateSet | undefined = set; s && s.snapshotNid === undefined; s = s.base) chain.push(s);
  return chain;
}
