import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());
const userId = z.string().regex(/^@[^:]+:.+$/, 'must be a user ID (@localpart:server)');

/** POST /createRoom (create_room.yaml). */
export const createRoomBody = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().min(1).max(200).optional(),
  name: z.string().max(255).optional(),
  topic: z.string().max(4096).optional(),
  invite: z.array(userId).max(500).optional(),
  invite_3pid: z.array(jsonObject).optional(),
  room_version: z.string().optional(),
  creation_content: jsonObject.optional(),
  initial_state: z
    .array(z.object({ type: z.string().min(1), state_key: z.string().optional(), content: jsonObject }))
    .optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: jsonObject.optional(),
});

export const reasonBody = z.object({ reason: z.string().max(1024).optional() });
export const targetBody = reasonBody.extend({ user_id: userId });
export const inviteBody = targetBody.extend({ id_server: z.string().optional() });
export const joinBody = reasonBody.extend({ third_party_signed: jsonObject.optional() });

export const aliasBody = z.object({ room_id: z.string().startsWith('!') });
export const visibilityBody = z.object({ visibility: z.enum(['public', 'private']) });

export const publicRoomsBody = z.object({
  limit: z.number().int().positive().max(500).optional(),
  since: z.string().optional(),
  server: z.string().optional(),
  filter: z
    .object({ generic_search_term: z.string().optional(), room_types: z.array(z.string().nullable()).optional() })
    .optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});

export const displayNameBody = z.object({ displayname: z.string().max(256) });
export const avatarUrlBody = z.object({ avatar_url: z.string().max(1024) });
