import type { JsonObject } from '@lattice/protocol';

/** An event's relationship to its parent (client-server-api "Forming relationships between events"). */
export interface Relation {
  relType: string;
  parentEventId: string;
  /** An m.annotation's key (client-server-api "Event annotations and reactions"). */
  key?: string;
}

/**
 * The relationship `content['m.relates_to']` declares, if it is well formed:
 * a string rel_type and a string event_id. Rich replies (only
 * `m.in_reply_to`) have no rel_type and are not relations the server
 * indexes; malformed ones are ignored, as the spec says.
 */
export function relationOf(content: JsonObject): Relation | undefined {
  const relatesTo = content['m.relates_to'];
  if (typeof relatesTo !== 'object' || relatesTo === null || Array.isArray(relatesTo)) return undefined;
  const { rel_type: relType, event_id: parentEventId, key } = relatesTo as JsonObject;
  if (
    typeof relType !== 'string' ||
    typeof parentEventId !== 'string' ||
    relType === '' ||
    !parentEventId.startsWith('$')
  )
    return undefined;
  return relType === 'm.annotation' && typeof key === 'string'
    ? { relType, parentEventId, key }
    : { relType, parentEventId };
}

/**
 * Whether an event may be a thread root (client-server-api "Validation of
 * m.thread relationships"): not if it is itself the child of a relationship,
 * so threads do not nest.
 */
export function mayBeThreadRoot(rootContent: JsonObject): boolean {
  return relationOf(rootContent) === undefined;
}
