import type { Pdu } from '../events';
import type { RoomVersion } from '../room-versions';
import { authEventTypesFor } from './auth-events-selection';
import { ALLOW, reject } from './decision';
import type { AuthDecision } from './types';

/** An auth event as the receiver holds it: whether it was itself rejected matters (rule 3.3). */
export interface HeldAuthEvent {
  pdu: Pdu;
  rejected: boolean;
}

/**
 * Rule 3 (rule 2 before v12): the event's auth_events, as a list, must name
 * each (type, state_key) at most once, only those the auth events selection
 * allows, none rejected, all in the same room; before v12 one must be the
 * create event.
 */
export function checkAuthEventsShape(version: RoomVersion, event: Pdu, authEvents: HeldAuthEvent[]): AuthDecision {
  const allowed = new Set(authEventTypesFor(version, event).map(([t, k]) => `${t}\u0000${k}`));
  const seen = new Set<string>();
  let hasCreate = false;
  for (const { pdu, rejected } of authEvents) {
    const key = `${pdu.type}\u0000${pdu.state_key ?? ''}`;
    if (seen.has(key)) return reject('3.1 auth_events', `duplicate auth event for ${pdu.type}`);
    seen.add(key);
    if (!allowed.has(key))
      return reject('3.2 auth_events', `unexpected auth event ${pdu.type} (${pdu.state_key ?? ''})`);
    if (rejected) return reject('3.3 auth_events', `auth event ${pdu.type} was rejected`);
    const isCreate = pdu.type === 'm.room.create' && pdu.state_key === '';
    hasCreate ||= isCreate;
    if (!(isCreate && version.roomIdFromCreateEvent) && pdu.room_id !== event.room_id) {
      return reject('3.5 auth_events', 'an auth event belongs to another room');
    }
  }
  if (!version.roomIdFromCreateEvent && !hasCreate)
    return reject('2.4 auth_events', 'the create event is not among the auth events');
  return ALLOW;
}
