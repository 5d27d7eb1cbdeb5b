import type { JsonObject, RoomVersion } from '@lattice/protocol';

/** A createRoom request after validation (client-server-api POST /createRoom). */
export interface CreateRoomRequest {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: Array<{ type: string; state_key?: string; content: JsonObject }>;
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

/** One event the room-server must send, in order, to create the room. */
export interface EventTemplate {
  type: string;
  stateKey?: string;
  content: JsonObject;
}

const PRESET_STATE = {
  private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  trusted_private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  // guest_access forbidden is what the event's absence means (m.room.guest_access), so no event is sent for it, as Synapse does.
  public_chat: { join_rule: 'public', history_visibility: 'shared', guest_access: undefined },
} as const;

/**
 * The ordered events of a new room, exactly as createRoom's description
 * lists them: create, creator's join, power levels, canonical alias, preset
 * state, initial_state, name/topic, invites. Pure, so the order and
 * contents are tested without a server.
 */
export function planCreateRoom(
  version: RoomVersion,
  creator: string,
  request: CreateRoomRequest,
  canonicalAlias: string | undefined,
): EventTemplate[] {
  const preset = request.preset ?? (request.visibility === 'public' ? 'public_chat' : 'private_chat');
  const invitees = request.invite ?? [];
  const events: EventTemplate[] = [
    { type: 'm.room.create', stateKey: '', content: createContent(version, creator, request, preset, invitees) },
    { type: 'm.room.member', stateKey: creator, content: { membership: 'join' } },
    { type: 'm.room.power_levels', stateKey: '', content: powerLevels(version, creator, request, preset, invitees) },
  ];
  if (canonicalAlias) events.push({ type: 'm.room.canonical_alias', stateKey: '', content: { alias: canonicalAlias } });

  const presetState = PRESET_STATE[preset];
  events.push(
    { type: 'm.room.join_rules', stateKey: '', content: { join_rule: presetState.join_rule } },
    {
      type: 'm.room.history_visibility',
      stateKey: '',
      content: { history_visibility: presetState.history_visibility },
    },
  );
  if (presetState.guest_access)
    events.push({ type: 'm.room.guest_access', stateKey: '', content: { guest_access: presetState.guest_access } });
  for (const state of request.initial_state ?? []) {
    events.push({ type: state.type, stateKey: state.state_key ?? '', content: state.content });
  }
  if (request.name !== undefined) events.push({ type: 'm.room.name', stateKey: '', content: { name: request.name } });
  if (request.topic !== undefined)
    events.push({ type: 'm.room.topic', stateKey: '', content: topicContent(request.topic) });
  for (const invitee of invitees) {
    events.push({
      type: 'm.room.member',
      stateKey: invitee,
      content: { membership: 'invite', ...(request.is_direct ? { is_direct: true } : {}) },
    });
  }
  return events;
}

function createContent(
  version: RoomVersion,
  creator: string,
  request: CreateRoomRequest,
  preset: keyof typeof PRESET_STATE,
  invitees: string[],
): JsonObject {
  // The server overwrites `creator` and `room_version` (creation_content description).
  const { creator: _ignoredCreator, room_version: _ignoredVersion, ...extra } = request.creation_content ?? {};
  const content: JsonObject = { ...extra, room_version: version.id };
  if (!version.creatorIsSender) content.creator = creator;
  // Anything but an array is left for the create event's auth check (rule 1.4) to refuse.
  if (
    version.privilegedCreators &&
    (extra.additional_creators === undefined || Array.isArray(extra.additional_creators))
  ) {
    const requested = (extra.additional_creators ?? []) as string[];
    // trusted_private_chat: invitees SHOULD become additional creators in v12+ (createRoom step 3 note).
    const additional = [...new Set([...requested, ...(preset === 'trusted_private_chat' ? invitees : [])])].filter(
      (u) => u !== creator,
    );
    if (additional.length > 0) content.additional_creators = additional;
    else delete content.additional_creators;
  }
  return content;
}

function powerLevels(
  version: RoomVersion,
  creator: string,
  request: CreateRoomRequest,
  preset: keyof typeof PRESET_STATE,
  invitees: string[],
): JsonObject {
  const users: JsonObject = {};
  // v12+: creators have infinite power and MUST NOT appear in `users`.
  if (!version.privilegedCreators) {
    users[creator] = 100;
    if (preset === 'trusted_private_chat') for (const invitee of invitees) users[invitee] = 100;
  }
  const content: JsonObject = {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      // v12: tombstone MUST be above state_default (createRoom step 3); 150 also keeps it above plain admins.
      'm.room.tombstone': version.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === 'public_chat' ? 50 : 0,
    notifications: { room: 50 },
  };
  return { ...content, ...(request.power_level_content_override ?? {}) };
}

/** m.room.topic with the m.topic mimetype block clients now read (client-server-api m.room.topic). */
function topicContent(topic: string): JsonObject {
  return { topic, 'm.topic': { 'm.text': [{ body: topic, mimetype: 'text/plain' }] } };
}
