import type { EventFilter, RoomEventFilter, SyncFilter } from './filter-schema';

/** The fields of an event a filter can match on. */
export interface FilterableEvent {
  type: string;
  sender?: string;
  room_id?: string;
  content?: Record<string, unknown>;
}

/** Type patterns: `*` matches any sequence of characters (event_filter.yaml `types`). */
function matchesPattern(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Exclusions win over inclusions, as the `not_*` descriptions say. */
function allowedBy(
  value: string | undefined,
  include?: string[],
  exclude?: string[],
  match = (a: string, b: string) => a === b,
): boolean {
  if (value === undefined) return include === undefined;
  if (exclude?.some((p) => match(p, value))) return false;
  return include === undefined || include.some((p) => match(p, value));
}

export function eventMatches(filter: EventFilter | undefined, event: FilterableEvent): boolean {
  if (!filter) return true;
  return (
    allowedBy(event.type, filter.types, filter.not_types, matchesPattern) &&
    (event.sender === undefined || allowedBy(event.sender, filter.senders, filter.not_senders))
  );
}

export function roomEventMatches(filter: RoomEventFilter | undefined, event: FilterableEvent): boolean {
  if (!filter) return true;
  if (!eventMatches(filter, event)) return false;
  if (event.room_id !== undefined && !allowedBy(event.room_id, filter.rooms, filter.not_rooms)) return false;
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content?.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/** Whether a room is included by the top-level `room.rooms` / `room.not_rooms` of a sync filter. */
export function roomIncluded(filter: SyncFilter | undefined, roomId: string): boolean {
  return allowedBy(roomId, filter?.room?.rooms, filter?.room?.not_rooms);
}
