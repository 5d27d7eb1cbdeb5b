import type { Pdu } from '../events';
import type { RoomVersion } from '../room-versions';
import type { AuthStateLookup } from './types';

/**
 * The (type, state_key) pairs an event's auth_events must be drawn from
 * (server-server-api "Auth events selection"). v12 no longer selects the
 * create event: the room ID stands for it.
 */
export function authEventTypesFor(version: RoomVersion, event: Pdu): Array<[string, string]> {
  if (event.type === 'm.room.create' && event.state_key === '') return [];
  const pairs: Array<[string, string]> = [];
  if (!version.roomIdFromCreateEvent) pairs.push(['m.room.create', '']);
  pairs.push(['m.room.power_levels', ''], ['m.room.member', event.sender]);
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    const membership = event.content.membership;
    pairs.push(['m.room.member', event.state_key]);
    if (membership === 'join' || membership === 'invite' || membership === 'knock')
      pairs.push(['m.room.join_rules', '']);
    const token = thirdPartyInviteToken(event);
    if (membership === 'invite' && token !== undefined) pairs.push(['m.room.third_party_invite', token]);
    const via = event.content.join_authorised_via_users_server;
    if (membership === 'join' && version.restrictedJoins && typeof via === 'string') pairs.push(['m.room.member', via]);
  }
  return dedupe(pairs);
}

/** The auth events for a new event, chosen from the state it will be sent on. */
export function selectAuthEvents(version: RoomVersion, event: Pdu, state: AuthStateLookup): Pdu[] {
  return authEventTypesFor(version, event)
    .map(([type, key]) => state(type, key))
    .filter((e): e is Pdu => e !== undefined);
}

export function thirdPartyInviteToken(event: Pdu): string | undefined {
  const invite = event.content.third_party_invite as { signed?: { token?: unknown } } | undefined;
  const token = invite?.signed?.token;
  return typeof token === 'string' ? token : undefined;
}

function dedupe(pairs: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  return pairs.filter(([t, k]) => {
    const key = `${t}\u0000${k}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
