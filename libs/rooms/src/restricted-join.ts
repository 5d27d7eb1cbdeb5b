import { restrictedJoinAllowedRooms, restrictedJoinAuthorisers, serverNameOf, stateKey } from '@lattice/protocol';
import type { RoomHead } from './room-head';

/** What this server can say about a join to a restricted room. */
export interface RestrictedJoin {
  /** The rooms the join rule allows (none for a mangled or empty allow list: nobody gets in without an invite). */
  allowedRooms: string[];
  /** The user is joined, as far as this server knows, to one of the rooms the join rule allows. */
  allowed: boolean;
  /** Whether this server is in any of those rooms, so that it can know. */
  knowsAllowedRooms: boolean;
  /** A member of this server who may vouch for the join (join_authorised_via_users_server). */
  authoriser?: string;
}

/**
 * Checks a join to a restricted room against its allow list (client-server-api "Restricted
 * rooms") with this server's knowledge of the allowed rooms, and picks the most powerful local
 * member able to invite to vouch for it. Undefined when the room's join rule is not restricted.
 */
export async function checkRestrictedJoin(
  head: Pick<RoomHead, 'version' | 'state'>,
  userId: string,
  reads: {
    membership(roomId: string, userId: string): Promise<string | undefined>;
    roomVersion(roomId: string): Promise<unknown>;
  },
  isLocalServer: (serverName: string) => boolean,
): Promise<RestrictedJoin | undefined> {
  const lookup = (type: string, key: string) => head.state.get(stateKey(type, key))?.pdu;
  const rooms = restrictedJoinAllowedRooms(head.version, lookup);
  if (!rooms) return undefined;
  const known = await Promise.all(
    rooms.map(async (roomId) => ((await reads.roomVersion(roomId)) ? roomId : undefined)),
  );
  const memberships = await Promise.all(rooms.map((roomId) => reads.membership(roomId, userId)));
  const allowed = memberships.includes('join');
  const localMembers = [...head.state.values()]
    .map((e) => e.pdu)
    .filter((e) => e.type === 'm.room.member' && isLocalServer(serverNameOf(e.state_key ?? '') ?? ''));
  return {
    allowedRooms: rooms,
    allowed,
    knowsAllowedRooms: known.some(Boolean),
    ...(allowed ? { authoriser: restrictedJoinAuthorisers(head.version, lookup, localMembers)[0] } : {}),
  };
}
