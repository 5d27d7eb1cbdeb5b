import { combineRoomConfigs, stateSelector, type RoomConfig } from './room-config';
import { listRanges, type SlidingListConfig, type SlidingRoomFilters } from './sliding-request';

/** A room of the user's server-side room list, with what the list filters look at. */
export interface ListedRoom {
  roomId: string;
  membership: string;
  /** MSC4186 "Activity ordering": the position of the room's last event, or of the user's membership when not joined. */
  activity: bigint;
  isDm: boolean;
  encrypted: boolean;
  /** The create event's `type`, null for none. */
  roomType: string | null;
  tags: string[];
}

export interface ListResult {
  count: number;
  ops: Array<{ op: 'SYNC'; range: [number, number]; room_ids: string[] }>;
}

/** Rooms matched by the lists, each with its combined room config and the lists that matched it. */
export interface Selection {
  lists: Record<string, ListResult>;
  rooms: Map<string, { config: RoomConfig; lists: string[] }>;
}

/**
 * MSC4186 "Lists": filter the user's rooms, order them by activity (most
 * recent first), and take each range (inclusive, 0-indexed). `spaceChildren`
 * are the rooms that the spaces named by a list's `spaces` filter list as
 * children, per list name.
 */
export function selectRooms(
  rooms: ListedRoom[],
  lists: Record<string, SlidingListConfig>,
  spaceChildren: Map<string, Set<string>>,
): Selection {
  const ordered = [...rooms].sort((a, b) =>
    a.activity === b.activity ? a.roomId.localeCompare(b.roomId) : a.activity > b.activity ? -1 : 1,
  );
  const selection: Selection = { lists: {}, rooms: new Map() };
  for (const [name, list] of Object.entries(lists)) {
    const matching = ordered.filter((room) => matchesFilters(room, list.filters ?? {}, spaceChildren.get(name)));
    const ranges = listRanges(list) ?? [[0, Math.max(matching.length - 1, 0)]];
    const config: RoomConfig = {
      timelineLimit: list.timeline_limit,
      requiredState: [stateSelector(list.required_state)],
    };
    const ops = ranges.map(([start, end]) => {
      const roomIds = matching.slice(start, end + 1).map((r) => r.roomId);
      for (const roomId of roomIds) {
        const known = selection.rooms.get(roomId);
        selection.rooms.set(
          roomId,
          known
            ? { config: combineRoomConfigs(known.config, config), lists: [...new Set([...known.lists, name])] }
            : { config, lists: [name] },
        );
      }
      return { op: 'SYNC' as const, range: [start, end] as [number, number], room_ids: roomIds };
    });
    selection.lists[name] = { count: matching.length, ops };
  }
  return selection;
}

/** MSC4186 SlidingRoomFilter: every filter given must hold. */
export function matchesFilters(
  room: ListedRoom,
  filters: SlidingRoomFilters,
  spaceChildren: Set<string> | undefined,
): boolean {
  const invitedOnly = filters.is_invited ?? filters.is_invite;
  if (filters.is_dm !== undefined && room.isDm !== filters.is_dm) return false;
  if (filters.spaces !== undefined && !spaceChildren?.has(room.roomId)) return false;
  if (filters.is_encrypted !== undefined && room.encrypted !== filters.is_encrypted) return false;
  if (invitedOnly !== undefined && (room.membership === 'invite') !== invitedOnly) return false;
  if (filters.room_types !== undefined && !filters.room_types.includes(room.roomType)) return false;
  // "If a type is in both room_types and not_room_types, then not_room_types wins."
  if (filters.not_room_types?.includes(room.roomType)) return false;
  // "not_tags takes priority over tags."
  if (filters.not_tags?.some((t) => room.tags.includes(t))) return false;
  if (filters.tags !== undefined && !filters.tags.some((t) => room.tags.includes(t))) return false;
  return true;
}
