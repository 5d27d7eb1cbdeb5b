import type { RemoteHierarchy } from '@lattice/federation';
import { userMaySee, type HierarchyLookup, type HierarchyRoom, type LocalSpaceRooms } from '@lattice/rooms';

export interface UserHierarchyContext {
  local: LocalSpaceRooms;
  /** Asks other servers (federation GET /hierarchy) about a room. */
  remote: (servers: string[], roomId: string) => Promise<RemoteHierarchy | undefined>;
  isLocal: (serverName: string) => boolean;
  userId: string;
  joinedRoomIds: ReadonlySet<string>;
  /** Rooms of other servers this server is not in that the user is invited to (they may see those). */
  invitedRoomIds: ReadonlySet<string>;
}

/**
 * How one user's /hierarchy walk learns about rooms: from this server's
 * store, else over federation from the servers the m.space.child names
 * (client-server-api GET /hierarchy: "Where a child room is unknown to the
 * local server, federation is used"), then only what the user may see.
 * One lookup serves one request: another server's answer (a room and its
 * children's summaries) is asked for once, and its inaccessible children
 * are not asked about again (space_hierarchy.yaml: "They should not be
 * re-requested").
 */
export function userHierarchyLookup(context: UserHierarchyContext): HierarchyLookup {
  const learned = new Map<string, HierarchyRoom>();
  const inaccessible = new Set<string>();

  const remote = async (roomId: string, via: string[]): Promise<HierarchyRoom | undefined> => {
    const known = learned.get(roomId);
    // A child's summary in its parent's answer carries no children of its own: a space among them is asked about itself.
    if (known && (known.room_type !== 'm.space' || known.children_state.length > 0)) return known;
    if (inaccessible.has(roomId)) return undefined;
    const servers = via.filter((s) => !context.isLocal(s));
    const answer = await context.remote(servers, roomId);
    if (!answer) return undefined;
    for (const child of answer.children) if (!learned.has(child.room_id)) learned.set(child.room_id, child);
    for (const id of answer.inaccessible) inaccessible.add(id);
    learned.set(roomId, answer.room);
    return answer.room;
  };

  return async (roomId, via) => {
    const here = await context.local.load(roomId);
    const room = here ? here.room : await remote(roomId, via);
    if (!room) return undefined;
    const membership = here
      ? here.memberships.get(context.userId)
      : context.invitedRoomIds.has(roomId)
        ? 'invite'
        : undefined;
    return userMaySee(room, membership, context.joinedRoomIds) ? room : undefined;
  };
}
