import type { AnyObject, Pdu } from './events';
import { referenceHashString } from './hashes';
import type { RoomVersion } from './room-versions';

/**
 * Event IDs per room version (rooms/v1.md, v3.md, v4.md "Event IDs"): in
 * v1/v2 the origin mints them and they travel in the event; from v3 they are
 * `$` + the reference hash (standard base64 in v3, URL-safe from v4).
 */
export function computeEventId(version: RoomVersion, event: AnyObject): string {
  if (version.eventIdFormat === 'origin') {
    if (typeof event.event_id !== 'string') throw new Error('Room versions 1 and 2 carry event_id in the event');
    return event.event_id;
  }
  return `$${cachedReferenceHash(version, event)}`;
}

/**
 * Events are treated as immutable once built, so an event object's hash is
 * computed once: the auth rules ask for the create event's ID on every check.
 */
const referenceHashes = new WeakMap<object, { version: string; hash: string }>();

function cachedReferenceHash(version: RoomVersion, event: AnyObject): string {
  const cached = referenceHashes.get(event);
  if (cached?.version === version.id) return cached.hash;
  const hash = referenceHashString(version, event);
  referenceHashes.set(event, { version: version.id, hash });
  return hash;
}

/**
 * v12 room IDs: `!` + the URL-safe reference hash of the create event
 * (rooms/v12.md "Event format"), so the ID commits to the room's creation.
 */
export function roomIdFromCreateEvent(version: RoomVersion, createEvent: AnyObject): string {
  if (!version.roomIdFromCreateEvent)
    throw new Error(`Room version ${version.id} does not derive room IDs from the create event`);
  return `!${cachedReferenceHash(version, createEvent)}`;
}

/**
 * The room an event belongs to. v12 create events carry no room_id: their
 * room ID is derived from them.
 */
export function roomIdOf(version: RoomVersion, event: Pdu): string {
  if (version.roomIdFromCreateEvent && event.type === 'm.room.create' && event.state_key === '') {
    return roomIdFromCreateEvent(version, event);
  }
  if (typeof event.room_id !== 'string') throw new Error('Event has no room_id');
  return event.room_id;
}

/** Whether an event (of a shape not yet checked) belongs to the room: a missing room_id is not an error here. */
export function isEventOfRoom(version: RoomVersion, event: Pdu, roomId: string): boolean {
  try {
    return roomIdOf(version, event) === roomId;
  } catch {
    return false;
  }
}
