import type { JsonObject, Pdu } from '@lattice/protocol';

/** An m.space.child event as hierarchies show it: stripped state with its timestamp (space_hierarchy.yaml children_state). */
export interface ChildStateEvent {
  type: 'm.space.child';
  state_key: string;
  sender: string;
  content: JsonObject;
  origin_server_ts: number;
}

/** A child of a space: its room, the servers to reach it through, and whether the space suggests it. */
export interface SpaceChild {
  roomId: string;
  via: string[];
  suggested: boolean;
}

const ORDER = /^[\x20-\x7E]{1,50}$/;

/**
 * A space's children from its m.space.child state, in the spec's order
 * (client-server-api "Ordering of children within a space"): those with a
 * valid `order` by it (code points), then the rest by timestamp, ties by
 * room ID. A child without a non-empty `via` is not a child ("Child rooms
 * can be removed from a space by omitting the via key").
 */
export function childStateEvents(
  state: Array<Pick<Pdu, 'type' | 'state_key' | 'sender' | 'content' | 'origin_server_ts'>>,
): ChildStateEvent[] {
  return state
    .filter(
      (e) =>
        e.type === 'm.space.child' &&
        typeof e.state_key === 'string' &&
        e.state_key.startsWith('!') &&
        viaOf(e.content).length > 0,
    )
    .map((e) => ({
      type: 'm.space.child' as const,
      state_key: e.state_key!,
      sender: e.sender,
      content: e.content,
      origin_server_ts: e.origin_server_ts,
    }))
    .sort(compareChildren);
}

/** The children to walk into, optionally only the suggested ones. */
export function spaceChildren(children: ChildStateEvent[], suggestedOnly: boolean): SpaceChild[] {
  return children
    .map((e) => ({ roomId: e.state_key, via: viaOf(e.content), suggested: e.content.suggested === true }))
    .filter((c) => !suggestedOnly || c.suggested);
}

function viaOf(content: JsonObject): string[] {
  return Array.isArray(content.via)
    ? content.via.filter((s): s is string => typeof s === 'string' && s.length > 0)
    : [];
}

function orderOf(e: ChildStateEvent): string | undefined {
  return typeof e.content.order === 'string' && ORDER.test(e.content.order) ? e.content.order : undefined;
}

function compareChildren(a: ChildStateEvent, b: ChildStateEvent): number {
  const [oa, ob] = [orderOf(a), orderOf(b)];
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0;
}
