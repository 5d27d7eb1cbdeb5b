import { coversAlias, coversRoom, coversUser, type AppserviceRegistration } from '@lattice/appservice-registry';

/** What decides whether a service wants a room's events: the room's ID, its local aliases, its joined local members. */
export interface RoomFacts {
  roomId: string;
  aliases: readonly string[];
  joinedMembers: readonly string[];
}

/**
 * Whether a service is interested in a room (application-service-api
 * "Registration"): its rooms namespace covers the room ID, its aliases
 * namespace one of the room's aliases, or one of its users (its sender
 * included) is a joined member. Only local users count: user namespaces
 * cover local users only.
 */
export function interestedInRoom(service: AppserviceRegistration, room: RoomFacts): boolean {
  return (
    coversRoom(service, room.roomId) ||
    room.aliases.some((alias) => coversAlias(service, alias)) ||
    room.joinedMembers.some((user) => coversUser(service, user))
  );
}

/**
 * Whether a service is interested in one event beyond its room: the event's
 * sender or the target of a membership event is one of its users (an
 * invite of a bridged user reaches the bridge before that user joined).
 */
export function interestedInEvent(
  service: AppserviceRegistration,
  event: { sender: string; type: string; state_key?: string },
): boolean {
  if (coversUser(service, event.sender)) return true;
  return event.type === 'm.room.member' && event.state_key !== undefined && coversUser(service, event.state_key);
}
