import { findRoomVersion } from '@lattice/protocol';
import type { RoomSummary } from './room-summary';

/**
 * Rooms anyone may learn about from a hierarchy: public, knockable (in a
 * version with knocking) or world-readable (client-server-api GET
 * /hierarchy, "The server should return any rooms where...").
 */
export function openToAnyone(summary: RoomSummary): boolean {
  const version = summary.room_version === undefined ? undefined : findRoomVersion(summary.room_version);
  // A summary from another server without a version: its join rule is taken as it says.
  const knocking = version?.knocking ?? true;
  const knockRestricted = version?.knockRestricted ?? true;
  return (
    summary.join_rule === 'public' ||
    (knocking && summary.join_rule === 'knock') ||
    (knockRestricted && summary.join_rule === 'knock_restricted') ||
    summary.world_readable
  );
}

/**
 * Whether a user sees a room in a hierarchy: a member or invitee, a room
 * open to anyone, or a restricted room whose allowed rooms include one the
 * user is joined to.
 */
export function userMaySee(
  summary: RoomSummary,
  membership: string | undefined,
  joinedRoomIds: ReadonlySet<string>,
): boolean {
  if (membership === 'join' || membership === 'invite' || openToAnyone(summary)) return true;
  return (summary.allowed_room_ids ?? []).some((roomId) => joinedRoomIds.has(roomId));
}

/**
 * Whether another server may learn about a room (federation GET
 * /hierarchy: rooms it "could feasibly peek/join"): it has a member there,
 * the room is open to anyone, or restricted with an allowed room where this
 * server knows it has a joined member (`inAllowedRoom`: only then can its
 * users qualify as far as this server can tell; the asking server filters
 * further for each user).
 */
export function serverMaySee(summary: RoomSummary, serverHasMember: boolean, inAllowedRoom: boolean): boolean {
  return serverHasMember || openToAnyone(summary) || (summary.allowed_room_ids !== undefined && inAllowedRoom);
}
