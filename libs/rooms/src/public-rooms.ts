import type { PublicRoomReads } from './room-reads';
import { publishedRoomSummary } from './spaces/room-summary';

/** Paging and search of the room directory. */
export interface PublicRoomsPage {
  limit?: number;
  since?: string;
  term?: string;
}

/**
 * A page of a tenant's room directory: a server's published rooms (or the rooms given, such as an
 * application service's network directory), biggest first (client-server-api "Listing rooms").
 */
export async function listPublicRooms(
  reader: PublicRoomReads,
  serverName: string,
  options: PublicRoomsPage,
  roomIds?: readonly string[],
) {
  const rooms = [];
  for (const roomId of roomIds ?? (await reader.publishedRooms(serverName)))
    rooms.push(
      publishedRoomSummary(
        roomId,
        (await reader.currentState(roomId)).map((e) => e.pdu),
      ),
    );
  const term = options.term?.toLowerCase();
  const matching = rooms
    .filter(
      (room) =>
        !term ||
        [room.name, room.topic, room.canonical_alias].some(
          (v) => typeof v === 'string' && v.toLowerCase().includes(term),
        ),
    )
    .sort((a, b) => b.num_joined_members - a.num_joined_members || a.room_id.localeCompare(b.room_id));
  const start = options.since ? Number(options.since) : 0;
  const limit = options.limit ?? matching.length;
  const chunk = matching.slice(start, start + limit);
  return {
    chunk,
    total_room_count_estimate: matching.length,
    ...(start + limit < matching.length ? { next_batch: String(start + limit) } : {}),
    ...(start > 0 ? { prev_batch: String(Math.max(0, start - limit)) } : {}),
  };
}
