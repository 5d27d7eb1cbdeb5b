import type { RoomSummary } from './room-summary';
import { spaceChildren, type ChildStateEvent } from './space-children';

/** A room as a hierarchy shows it: its summary and, for a space, its m.space.child events. */
export interface HierarchyRoom extends RoomSummary {
  children_state: ChildStateEvent[];
}

/** Where the walk learns about a room: undefined for one it cannot show (unknown, or not for this requester). */
export type HierarchyLookup = (roomId: string, via: string[]) => Promise<HierarchyRoom | undefined>;

export interface HierarchyWalk {
  maxDepth: number;
  suggestedOnly: boolean;
  /** Rooms of earlier pages, walked past. */
  skip: number;
  limit: number;
}

/**
 * One page of a space tree, depth first from the root in the children's
 * spec order (client-server-api GET /hierarchy). Each room appears once,
 * so a loop of spaces ends. `next` is how many rooms the next page skips,
 * absent on the last page. Undefined when the root cannot be shown.
 */
export async function walkHierarchy(
  rootId: string,
  lookup: HierarchyLookup,
  walk: HierarchyWalk,
): Promise<{ rooms: HierarchyRoom[]; next?: number } | undefined> {
  const found: HierarchyRoom[] = [];
  const seen = new Set<string>();
  const stack = [{ roomId: rootId, via: [] as string[], depth: 0 }];
  const wanted = walk.skip + walk.limit + 1;
  while (stack.length > 0 && found.length < wanted) {
    const { roomId, via, depth } = stack.pop()!;
    if (seen.has(roomId)) continue;
    seen.add(roomId);
    const room = await lookup(roomId, via);
    if (!room) {
      if (roomId === rootId) return undefined;
      continue;
    }
    // With suggested_only the rooms' links are only the suggested ones too, as other servers show them.
    found.push(
      walk.suggestedOnly
        ? { ...room, children_state: room.children_state.filter((e) => e.content.suggested === true) }
        : room,
    );
    if (depth >= walk.maxDepth) continue;
    const children = spaceChildren(room.children_state, walk.suggestedOnly).filter((c) => !seen.has(c.roomId));
    for (const child of children.reverse()) stack.push({ roomId: child.roomId, via: child.via, depth: depth + 1 });
  }
  const rooms = found.slice(walk.skip, walk.skip + walk.limit);
  return found.length > walk.skip + walk.limit ? { rooms, next: walk.skip + walk.limit } : { rooms };
}
