import type { JsonObject } from '@lattice/protocol';

/**
 * The part of another server's per-user answer (device_keys, master_keys,
 * one_time_keys...) about the users it was asked about: a server must not
 * answer for anyone else's keys, ours least of all.
 */
export function answerForAskedUsers(answer: JsonObject | undefined, asked: Record<string, unknown>): JsonObject {
  return Object.fromEntries(Object.entries(answer ?? {}).filter(([userId]) => Object.hasOwn(asked, userId)));
}
