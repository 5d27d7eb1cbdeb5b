import type { MembershipAction } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';
import type { EventTemplate } from './event-builder';

const MEMBERSHIP_OF: Record<MembershipAction, string> = {
  join: 'join',
  invite: 'invite',
  leave: 'leave',
  kick: 'leave',
  ban: 'ban',
  unban: 'leave',
  knock: 'knock',
};

/**
 * The m.room.member event for a membership action (client-server-api "Room
 * membership"): kick and unban are `leave` set by someone else; the state
 * key is always the user acted on.
 */
export function membershipTemplate(
  action: MembershipAction,
  target: string,
  reason: string | undefined,
  extra: JsonObject = {},
): EventTemplate {
  const content: JsonObject = { ...extra, membership: MEMBERSHIP_OF[action] };
  if (reason !== undefined) content.reason = reason;
  return { type: 'm.room.member', stateKey: target, content };
}
