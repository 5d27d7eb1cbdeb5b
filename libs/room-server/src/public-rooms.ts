import type { RoomReader } from './room-reader';

/** Paging and search of the room directory. */
export interface PublicRoomsPage {
  limit?: number;
  since?: string;
  term?: string;
}

/** A page of a tenant's room directory: a server's published rooms, biggest first (client-server-api "Listing rooms"). */
export async function listPublicRooms(reader: RoomReader, serverName: string, options: PublicRoomsPage) {
  const rooms: Array<Record<string, unknown> & { room_id: string; num_joined_members: number }> = [];
  for (const roomId of await reader.publishedRooms(serverName)) {
    const state = new Map((await reader.currentState(roomId)).map((e) => [`${e.pdu.type}|${e.pdu.state_key}`, e.pdu.content]));
    const members = [...state.entries()].filter(([k, c]) => k.startsWith('m.room.member|') && c.membership === 'join').length;
    rooms.push({
      room_id: roomId,
      num_joined_members: members,
      world_readable: state.get('m.room.history_visibility|')?.history_visibility === 'world_readable',
      guest_can_join: state.get('m.room.guest_access|')?.guest_access === 'can_join',
      join_rule: state.get('m.room.join_rules|')?.join_rule ?? 'invite',
      ...optional('name', state.get('m.room.name|')?.name),
      ...optional('topic', state.get('m.room.topic|')?.topic),
      ...optional('canonical_alias', state.get('m.room.canonical_alias|')?.alias),
      ...optional('avatar_url', state.get('m.room.avatar|')?.url),
      ...optional('room_type', state.get('m.room.create|')?.type),
    });
  }
  const term = options.term?.toLowerCase();
  const matching = rooms
    .filter((room) => !term || [room.name, room.topic, room.canonical_alias].some((v) => typeof v === 'string' && v.toLowerCase().includes(term)))
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

function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === null ? {} : { [key]: value };
}
