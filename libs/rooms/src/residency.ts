import type { RoomReader } from './room-reader';

/**
 * Whether this deployment is in the room: one of its users (any tenant's)
 * is joined. A room it knows but is no longer in (its users all left, were
 * kicked or banned) has only stale state here: new events do not reach it,
 * so memberships of its users go through a resident server again
 * (server-server-api "Joining Rooms", "Inviting to a room", "Leaving Rooms").
 */
export function isResident(
  reader: Pick<RoomReader, 'hasJoinedMemberOn'>,
  tenants: { readonly localServerNames: string[] },
  roomId: string,
): Promise<boolean> {
  return reader.hasJoinedMemberOn(roomId, tenants.localServerNames);
}
