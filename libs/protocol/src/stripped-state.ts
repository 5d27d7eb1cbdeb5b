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
 * A room's state as an invitee sees it: the stripped-state types plus the
 * member events of those invited or joined (so a client can show who invited
 * them), each reduced to type, state key, sender and content.
 */
export function strippedState(state: Pdu[]): StrippedStateEvent[] {
  return state
    .filter(
      (e) =>
        STRIPPED_STATE_TYPES.includes(e.type) ||
        (e.type === 'm.room.member' && (e.content.membership === 'invite' || e.content.membership === 'join')),
    )
    .map((e) => ({ type: e.type, state_key: e.state_key!, sender: e.sender, content: e.content }));
}
