import { referencedIds, type Pdu } from '../events';
import type { AuthStateLookup } from './types';

/**
 * The state an event is authorised against when the room's state before it
 * is not known in full (an event of a partial-state room, a state event of a
 * send_join answer): its own auth_events, found by ID among the events at
 * hand (server-server-api "Checks performed on receipt of a PDU", check 4).
 * From v12 the create event is not among auth_events: pass it as `create`.
 */
export function authEventsLookup(
  event: Pdu,
  find: (eventId: string) => Pdu | undefined,
  create?: Pdu,
): AuthStateLookup {
  const byKey = new Map<string, Pdu>();
  for (const id of referencedIds(event.auth_events)) {
    const auth = find(id);
    if (auth?.state_key !== undefined) byKey.set(`${auth.type}\u0000${auth.state_key}`, auth);
  }
  if (create) byKey.set('m.room.create\u0000', create);
  return (type, stateKey) => byKey.get(`${type}\u0000${stateKey}`);
}
