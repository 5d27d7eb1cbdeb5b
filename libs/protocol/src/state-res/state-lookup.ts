import type { AuthStateLookup } from '../auth/types';
import { referencedIds, stateKey, type Pdu, type StateMap } from '../events';
import type { RoomVersion } from '../room-versions';
import type { EventSource } from './event-source';

/**
 * The state an event is checked against during iterative auth checks: the
 * partially resolved state, falling back to the event's own non-rejected
 * auth events for keys the state lacks (rooms/v2.md "Iterative auth
 * checks"). In v12 the create event is never an auth event: it is found
 * through the room ID, which is its event ID with `!` for `$`.
 */
export function lookupFor(
  version: RoomVersion,
  event: Pdu,
  state: StateMap | undefined,
  source: EventSource,
): AuthStateLookup {
  let fromAuthEvents: Map<string, Pdu> | undefined;
  return (type, key) => {
    const inState = state?.get(stateKey(type, key));
    if (inState !== undefined) {
      const found = source.get(inState)?.pdu;
      if (found) return found;
    }
    fromAuthEvents ??= authEventsByKey(event, source);
    const fromAuth = fromAuthEvents.get(stateKey(type, key));
    if (fromAuth) return fromAuth;
    if (version.roomIdFromCreateEvent && type === 'm.room.create' && key === '' && typeof event.room_id === 'string') {
      return source.get(`$${event.room_id.slice(1)}`)?.pdu;
    }
    return undefined;
  };
}

function authEventsByKey(event: Pdu, source: EventSource): Map<string, Pdu> {
  const map = new Map<string, Pdu>();
  for (const id of referencedIds(event.auth_events)) {
    const auth = source.get(id);
    if (auth && !auth.rejected && auth.pdu.state_key !== undefined)
      map.set(stateKey(auth.pdu.type, auth.pdu.state_key), auth.pdu);
  }
  return map;
}
