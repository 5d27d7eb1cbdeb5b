import type { OutputPresence } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';
import { presenceContent, type PresenceRecord } from '@lattice/streams';

/** Users per m.presence EDU when a whole room's presence goes to a server at once. */
export const MAX_PUSHES_PER_EDU = 100;

/**
 * The m.presence EDU (server-server-api "Presence") pushing some of our
 * users' presence: last_active_ago as of when it is queued.
 */
export function presencePush(
  updates: ReadonlyArray<{ userId: string; record: PresenceRecord }>,
  now: number,
): JsonObject {
  // The EDU's currently_active defaults to false, so it is always said.
  const push = updates.map(({ userId, record }) => ({
    user_id: userId,
    ...presenceContent(record, now),
    currently_active: record.currentlyActive,
  }));
  return { edu_type: 'm.presence', content: { push } };
}

/** A change from output.presence as the update it pushes. */
export function changedPresence(change: OutputPresence): { userId: string; record: PresenceRecord } {
  return {
    userId: change.userId,
    record: {
      state: change.state,
      statusMsg: change.statusMsg,
      lastActiveTs: change.lastActiveTs,
      currentlyActive: change.currentlyActive,
    },
  };
}

/** One EDU per change and destination, however many federation senders see the change. */
export const presenceDedupKey = (change: OutputPresence): string => `m.presence ${change.userId} ${change.position}`;
