import { Logger } from '@nestjs/common';
import type { Pdu } from '@lattice/protocol';
import { childStateEvents, type HierarchyRoom } from '@lattice/rooms';
import type { FederationClient } from '../client/federation-client';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('fetchRemoteHierarchy');

/** Another server's answer to GET /hierarchy, checked for shape. */
export interface RemoteHierarchy {
  room: HierarchyRoom;
  children: HierarchyRoom[];
  /** Rooms that server says cannot be reached from anywhere (space_hierarchy.yaml inaccessible_children). */
  inaccessible: string[];
}

/**
 * Asks the servers of an m.space.child's `via`, in turn, about a room this
 * server does not have (server-server-api "Spaces", GET /hierarchy).
 * Undefined when none can tell.
 */
export async function fetchRemoteHierarchy(
  client: FederationClient,
  origin: string,
  servers: string[],
  roomId: string,
  suggestedOnly: boolean,
): Promise<RemoteHierarchy | undefined> {
  for (const server of servers) {
    const answer = await client
      .request<{ room?: unknown; children?: unknown; inaccessible_children?: unknown }>(
        origin,
        server,
        'GET',
        `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=${suggestedOnly}`,
      )
      .catch((e: unknown) =>
        logger.debug(`/hierarchy of ${roomId} from ${server} failed; the next server is asked: ${String(e)}`),
      );
    const room = answer && hierarchyRoom(answer.room);
    if (!room || room.room_id !== roomId) continue;
    const children = (Array.isArray(answer.children) ? answer.children : []).flatMap((c) => hierarchyRoom(c) ?? []);
    const inaccessible = Array.isArray(answer.inaccessible_children)
      ? answer.inaccessible_children.filter((id): id is string => typeof id === 'string')
      : [];
    return { room, children, inaccessible };
  }
  return undefined;
}

/** A room summary from another server, with the fields the walk relies on well typed; undefined if it is not one. */
function hierarchyRoom(value: unknown): HierarchyRoom | undefined {
  const room = value as Partial<HierarchyRoom> | null | undefined;
  if (typeof room?.room_id !== 'string' || (typeof room.join_rule !== 'string' && room.join_rule !== undefined))
    return undefined;
  const childrenState = Array.isArray(room.children_state)
    ? room.children_state.filter(
        (e) => typeof e === 'object' && e !== null && typeof e.content === 'object' && e.content !== null,
      )
    : [];
  return {
    ...room,
    room_id: room.room_id,
    num_joined_members: typeof room.num_joined_members === 'number' ? room.num_joined_members : 0,
    world_readable: room.world_readable === true,
    guest_can_join: room.guest_can_join === true,
    // room_summary.yaml: a missing join_rule means public.
    join_rule: room.join_rule ?? 'public',
    ...(Array.isArray(room.allowed_room_ids)
      ? { allowed_room_ids: room.allowed_room_ids.filter((id) => typeof id === 'string') }
      : { allowed_room_ids: undefined }),
    children_state: childStateEvents(childrenState as unknown as Pdu[]),
  };
}
