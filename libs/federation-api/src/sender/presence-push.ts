import type { OutputPresence } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';
import { presenceContent } from '@lattice/sync';

/**
 * The m.presence EDU (server-server-api "Presence") pushing one of our
 * users' presence: last_active_ago as of when it is queued.
 */
export function presencePush(change: OutputPresence, now: number): JsonObject {
  const content = presenceContent({ state: change.state, statusMsg: change.statusMsg, lastActiveTs: change.lastActiveTs, currentlyActive: change.currentlyActive }, now);
  // The EDU's currently_active defaults to false, so it is always said.
  return { edu_type: 'm.presence', content: { push: [{ user_id: change.userId, ...content, currently_active: change.currentlyActive }] } };
}

/** One EDU per change and destination, however many federation senders see the change. */
export const presenceDedupKey = (change: OutputPresence): string => `m.presence ${change.userId} ${change.position}`;
