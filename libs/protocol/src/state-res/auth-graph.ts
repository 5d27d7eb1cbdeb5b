import { referencedIds } from '../events';
import type { EventSource } from './event-source';

/**
 * The auth_events DAG, read lazily from the event source with each event's
 * auth event IDs parsed once.
 */
export class AuthGraph {
  private readonly edges = new Map<string, string[]>();

  constructor(private readonly source: EventSource) {}

  authEventsOf(eventId: string): string[] {
    let ids = this.edges.get(eventId);
    if (!ids) {
      const event = this.source.get(eventId);
      ids = event ? referencedIds(event.pdu.auth_events) : [];
      this.edges.set(eventId, ids);
    }
    return ids;
  }

  /** Every event reachable through auth_events from `starts`, excluding the starts unless reached from another. */
  authChain(starts: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const stack: string[] = [];
    for (const start of starts) for (const a of this.authEventsOf(start)) stack.push(a);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const a of this.authEventsOf(id)) if (!seen.has(a)) stack.push(a);
    }
    return seen;
  }

  /**
   * v12 "conflicted state subgraph": the events on auth_events paths between
   * any two events of `conflicted` (endpoints included).
   */
  subgraphBetween(conflicted: ReadonlySet<string>): Set<string> {
    const reaches = new Map<string, boolean>();
    const reachesConflicted = (start: string): boolean => {
      // Iterative post-order DFS: auth chains can be thousands deep.
      const stack: Array<[string, number]> = [[start, 0]];
      const onStack = new Set<string>([start]);
      while (stack.length > 0) {
        const frame = stack[stack.length - 1];
        const [id, next] = frame;
        const auth = this.authEventsOf(id);
        if (next < auth.length) {
          frame[1]++;
          const child = auth[next];
          if (!reaches.has(child) && !onStack.has(child)) {
            stack.push([child, 0]);
            onStack.add(child);
          }
          continue;
        }
        stack.pop();
        onStack.delete(id);
        reaches.set(id, conflicted.has(id) || auth.some((a) => reaches.get(a) === true));
      }
      return reaches.get(start)!;
    };
    // In a DAG, a node reached from one conflicted event that reaches another lies on a path between them.
    const subgraph = new Set<string>(conflicted);
    for (const reached of this.authChain(conflicted)) if (reachesConflicted(reached)) subgraph.add(reached);
    return subgraph;
  }
}
