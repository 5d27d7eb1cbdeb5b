import type { Pdu } from '../events';
import type { RoomVersion } from '../room-versions';
import { parsePowerLevels, powerLevelOf } from './power-levels';
import type { AuthStateLookup } from './types';

/**
 * The rooms whose joined members may join this one without an invite
 * (client-server-api "Restricted rooms"): the `allow` entries of type
 * m.room_membership of a `restricted` (v8+) or `knock_restricted` (v10+)
 * join rule. Undefined when the room's join rule is neither.
 */
export function restrictedJoinAllowedRooms(version: RoomVersion, state: AuthStateLookup): string[] | undefined {
  const content = state('m.room.join_rules', '')?.content;
  const rule = content?.join_rule;
  if (!((version.restrictedJoins && rule === 'restricted') || (version.knockRestricted && rule === 'knock_restricted')))
    return undefined;
  const allow = Array.isArray(content?.allow) ? (content.allow as unknown[]) : [];
  return allow.flatMap((entry) => {
    const { type, room_id: roomId } = (entry ?? {}) as { type?: unknown; room_id?: unknown };
    return type === 'm.room_membership' && typeof roomId === 'string' ? [roomId] : [];
  });
}

/**
 * Who may vouch for a restricted join (rooms v8+ auth rule "join_authorised_via_users_server"):
 * joined members of `members` (this server's, as only this server can sign for them) whose power
 * reaches the invite level, the most powerful first.
 */
export function restrictedJoinAuthorisers(version: RoomVersion, state: AuthStateLookup, members: Pdu[]): string[] {
  const invite = parsePowerLevels(version, state('m.room.power_levels', '')?.content).invite;
  return members
    .filter((e) => e.type === 'm.room.member' && e.content.membership === 'join' && typeof e.state_key === 'string')
    .map((e) => ({ userId: e.state_key!, level: powerLevelOf(version, e.state_key!, state) }))
    .filter(({ level }) => level >= invite)
    .sort((a, b) => b.level - a.level)
    .map(({ userId }) => userId);
}
