import { findRoomVersion, type JsonObject, type Pdu } from '@lattice/protocol';

/** What the room directory shows of a room (client-server-api "Listing rooms", PublishedRoomsChunk). */
export interface PublishedRoomSummary {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  join_rule: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  avatar_url?: string;
  room_type?: string;
}

/** A room summary as space hierarchies show it (room_summary.yaml): the directory's fields and a few more. */
export interface RoomSummary extends PublishedRoomSummary {
  room_version?: string;
  encryption?: string;
  allowed_room_ids?: string[];
}

/** The directory's summary of a room, read from its current state. */
export function publishedRoomSummary(roomId: string, state: Pdu[]): PublishedRoomSummary {
  const content = contentByKey(state);
  return {
    room_id: roomId,
    num_joined_members: state.filter((e) => e.type === 'm.room.member' && e.content.membership === 'join').length,
    world_readable: content('m.room.history_visibility')?.history_visibility === 'world_readable',
    guest_can_join: content('m.room.guest_access')?.guest_access === 'can_join',
    join_rule: stringOr(content('m.room.join_rules')?.join_rule) ?? 'invite',
    ...optional('name', content('m.room.name')?.name),
    ...optional('topic', content('m.room.topic')?.topic),
    ...optional('canonical_alias', content('m.room.canonical_alias')?.alias),
    ...optional('avatar_url', content('m.room.avatar')?.url),
    ...optional('room_type', content('m.room.create')?.type),
  };
}

/**
 * The hierarchy's summary of a room: the directory's, with its version,
 * its encryption algorithm, and for restricted join rules the rooms whose
 * members may join (`allowed_room_ids`).
 */
export function roomSummary(roomId: string, roomVersion: string, state: Pdu[]): RoomSummary {
  const content = contentByKey(state);
  const summary: RoomSummary = {
    ...publishedRoomSummary(roomId, state),
    room_version: roomVersion,
    ...optional('encryption', content('m.room.encryption')?.algorithm),
  };
  const version = findRoomVersion(roomVersion);
  const restricted =
    (version?.restrictedJoins && summary.join_rule === 'restricted') ||
    (version?.knockRestricted && summary.join_rule === 'knock_restricted');
  if (restricted) summary.allowed_room_ids = allowedRoomIds(content('m.room.join_rules'));
  return summary;
}

/** The rooms a restricted join rule names (client-server-api "Restricted rooms": `allow` entries of type m.room_membership). */
function allowedRoomIds(joinRules: JsonObject | undefined): string[] {
  const allow = Array.isArray(joinRules?.allow) ? joinRules.allow : [];
  return allow.flatMap((a) => {
    const entry = a as { type?: unknown; room_id?: unknown } | null;
    return entry?.type === 'm.room_membership' && typeof entry.room_id === 'string' ? [entry.room_id] : [];
  });
}

function contentByKey(state: Pdu[]): (type: string) => JsonObject | undefined {
  const byType = new Map(state.filter((e) => e.state_key === '').map((e) => [e.type, e.content]));
  return (type) => byType.get(type);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === null ? {} : { [key]: value };
}
