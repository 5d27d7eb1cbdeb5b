import { z } from 'zod';

/**
 * The body of a simplified sliding sync request (MSC4186), in the unstable
 * form Synapse and Element X speak: `required_state` as [type, state_key]
 * pairs (or the MSC's later object form), `ranges` (or the MSC's later single
 * `range`), `is_invite` (or `is_invited`). Unknown keys are ignored, as the
 * MSC leaves room for more.
 */
const requiredStatePairs = z.array(z.tuple([z.string(), z.string()])).max(1000);
const requiredStateElements = z
  .array(z.object({ type: z.string().optional(), state_key: z.string().optional() }))
  .max(1000);
/** MSC4186's later form: { include, exclude, lazy_members }. */
const requiredState = z.union([
  requiredStatePairs,
  z.object({
    include: requiredStateElements.optional(),
    exclude: requiredStateElements.optional(),
    lazy_members: z.boolean().optional(),
  }),
]);
/** Synapse's cap; a larger timeline is what /messages is for. */
const MAX_TIMELINE_LIMIT = 1000;
const roomConfig = {
  timeline_limit: z.number().int().min(0).max(MAX_TIMELINE_LIMIT),
  required_state: requiredState,
};
const range = z
  .tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])
  .refine(([start, end]) => start <= end, 'a range starts at or before its end');
const roomTypes = z.array(z.string().nullable());

const filters = z.object({
  is_dm: z.boolean().optional(),
  spaces: z.array(z.string()).optional(),
  is_encrypted: z.boolean().optional(),
  is_invite: z.boolean().optional(),
  is_invited: z.boolean().optional(),
  room_types: roomTypes.optional(),
  not_room_types: roomTypes.optional(),
  tags: z.array(z.string()).optional(),
  not_tags: z.array(z.string()).optional(),
});

const listConfig = z.object({
  ...roomConfig,
  ranges: z.array(range).max(100).optional(),
  range: range.optional(),
  filters: filters.optional(),
});

/** Extension scoping: list names and room IDs, "*" for all (the default). */
const scoped = {
  enabled: z.boolean().optional(),
  lists: z.array(z.string()).optional(),
  rooms: z.array(z.string()).optional(),
};

/** MSC4360's unstable name of the threads extension, in the request and the answer. */
export const UNSTABLE_THREADS = 'io.element.msc4360.threads';
const threadsExtension = z.object({
  enabled: z.boolean().optional(),
  include_roots: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});

export const slidingSyncBodySchema = z.object({
  conn_id: z.string().max(250).optional(),
  pos: z.string().optional(),
  timeout: z.number().int().nonnegative().optional(),
  set_presence: z.string().optional(),
  lists: z
    .record(z.string().max(250), listConfig)
    .refine((lists) => Object.keys(lists).length <= 100, 'at most 100 lists')
    .optional(),
  room_subscriptions: z.record(z.string().startsWith('!'), z.object(roomConfig)).optional(),
  extensions: z
    .object({
      to_device: z
        .object({
          enabled: z.boolean().optional(),
          since: z.string().optional(),
          limit: z.number().int().positive().optional(),
        })
        .optional(),
      e2ee: z.object({ enabled: z.boolean().optional() }).optional(),
      account_data: z.object(scoped).optional(),
      receipts: z.object(scoped).optional(),
      typing: z.object(scoped).optional(),
      threads: threadsExtension.optional(),
      [UNSTABLE_THREADS]: threadsExtension.optional(),
    })
    .optional(),
});

export type SlidingSyncBody = z.infer<typeof slidingSyncBodySchema>;
export type SlidingListConfig = z.infer<typeof listConfig>;
export type SlidingRoomFilters = z.infer<typeof filters>;
export type RequiredStateRequest = z.infer<typeof requiredState>;
export type ExtensionScope = { lists?: string[]; rooms?: string[] };

/** The ranges of a list: `ranges`, else the MSC's `range`; none means the whole list. */
export function listRanges(list: SlidingListConfig): Array<[number, number]> | undefined {
  return list.ranges ?? (list.range ? [list.range] : undefined);
}
