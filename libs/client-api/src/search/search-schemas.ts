import { SEARCH_KEYS } from '@lattice/rooms';
import { roomEventFilterSchema } from '@lattice/streams';
import { z } from 'zod';

/** POST /search (search.yaml); only the room_events category exists. */
export const searchBody = z.object({
  search_categories: z.object({
    room_events: z
      .object({
        search_term: z.string().min(1).max(1000),
        keys: z.array(z.enum(SEARCH_KEYS)).min(1).optional(),
        filter: roomEventFilterSchema.extend({ limit: z.number().int().min(0).optional() }).optional(),
        order_by: z.enum(['recent', 'rank']).optional(),
        event_context: z
          .object({
            before_limit: z.number().int().min(0).optional(),
            after_limit: z.number().int().min(0).optional(),
            include_profile: z.boolean().optional(),
          })
          .optional(),
        include_state: z.boolean().optional(),
        groupings: z
          .object({ group_by: z.array(z.object({ key: z.enum(['room_id', 'sender']) })).optional() })
          .optional(),
      })
      .optional(),
  }),
});

export type RoomEventsCriteria = NonNullable<z.infer<typeof searchBody>['search_categories']['room_events']>;
