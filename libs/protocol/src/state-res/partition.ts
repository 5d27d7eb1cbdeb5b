import type { StateMap } from '../events';

/**
 * Splits state sets into the unconflicted state map (keys present in every
 * set with the same event) and the conflicted state set (every other event).
 */
export function partitionStateSets(stateSets: StateMap[]): { unconflicted: StateMap; conflicted: Set<string> } {
  const unconflicted: StateMap = new Map();
  const conflicted = new Set<string>();
  if (stateSets.length === 0) return { unconflicted, conflicted };
  const keys = new Set<string>();
  for (const set of stateSets) for (const key of set.keys()) keys.add(key);
  for (const key of keys) {
    const first = stateSets[0].get(key);
    if (first !== undefined && stateSets.every((set) => set.get(key) === first)) {
      unconflicted.set(key, first);
    } else {
      for (const set of stateSets) {
        const id = set.get(key);
        if (id !== undefined) conflicted.add(id);
      }
    }
  }
  return { unconflicted, conflicted };
}
