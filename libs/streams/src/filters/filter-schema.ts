import { z } from 'zod';

/**
 * Filters as the client-server API defines them (definitions/sync_filter.yaml,
 * event_filter.yaml, room_event_filter.yaml). Unknown keys are kept out;
 * every list is optional and absent means "no restriction".
 */
const userIds = z.array(z.string().startsWith('@'));
const typePatterns = z.array(z.string());
const roomIds = z.array(z.string().startsWith('!'));

export const eventFilterSchema = z.object({
  // The spec asks for a limit above 0, but clients send 0 for "no events, just the state" (as Synapse
  // accepts, and Complement's TestArchivedRoomsHistory relies on): refusing it helps nobody.
  limit: z.number().int().nonnegative().optional(),
  senders: userIds.optional(),
  not_senders: userIds.optional(),
  types: typePatterns.optional(),
  not_types: typePatterns.optional(),
});

export const roomEventFilterSchema = eventFilterSchema.extend({
  rooms: roomIds.optional(),
  not_rooms: roomIds.optional(),
  contains_url: z.boolean().optional(),
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});

export const syncFilterSchema = z.object({
  event_fields: z.array(z.string()).optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: eventFilterSchema.optional(),
  account_data: eventFilterSchema.optional(),
  room: z
    .object({
      rooms: roomIds.optional(),
      not_rooms: roomIds.optional(),
      include_leave: z.boolean().optional(),
      state: roomEventFilterSchema.optional(),
      timeline: roomEventFilterSchema.optional(),
      ephemeral: roomEventFilterSchema.optional(),
      account_data: roomEventFilterSchema.optional(),
    })
    .optional(),
});

export type EventFilter = z.infer<typeof eventFilterSchema>;
export type RoomEventFilter = z.infer<typeof roomEventFilterSchema>;
export type SyncFilter = z.infer<typeof syncFilterSchema>;
