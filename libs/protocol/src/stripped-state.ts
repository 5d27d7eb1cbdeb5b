import type { JsonObject, Pdu } from './events';

/** The state types an invited (not yet joined) user may see (client-server-api "Stripped state"). */
export const STRIPPED_STATE_TYPES = [
  'm.room.create',
  'm.room.join_rules',
  'm.room.name',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.encryption',
  'm.room.topic',
];

/** An event reduced to what stripped state carries. */
export interface StrippedStateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: JsonObject;
}

/**
 * The events of a room's state an invitee sees: the stripped-state types plus the member events of those
 * invited or joined (so a client can show who invited them). Over federation they travel whole
 * (server-server-api invite_room_state, v1.16: formatted as the room version's events); clients get them
 * stripped.
 */
export function strippedStateEvents(state: Pdu[]): Pdu[] {
  return state.filter(
    (e) =>
      STRIPPED_STATE_TYPES.includes(e.type) ||
      (e.type === 'm.room.member' && (e.content.membership === 'invite' || e.content.membership === 'join')),
  );
}

/** A room's state as an invitee's client sees it: strippedStateEvents() reduced to type, state key, sender and content. */
export function strippedState(state: Pdu[]): StrippedStateEvent[] {
  return strippedStateEvents(state).map(stripEvent);
}

/**
 * An event reduced to what stripped state carries: also what another server sent as stripped state, since
 * servers must not pass on to clients what they received over federation (client-server-api "Stripped
 * state", v1.16).
 */
export function stripEvent(e: Pick<Pdu, 'type' | 'state_key' | 'sender' | 'content'>): StrippedStateEvent {
  return { type: e.type, state_key: e.state_key!, sender: e.sender, content: e.content };
}
