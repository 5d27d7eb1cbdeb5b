import { isValidServerName, type Pdu } from '@lattice/protocol';

/** A state event with its place in the stream (heroes are picked in stream order). */
export interface OrderedStateEvent {
  eventId: string;
  pdu: Pdu;
  streamPos: bigint;
}

/** How many members client-server-api /sync's `m.heroes` names ("the first 5 members"). */
const HEROES = 5;

/**
 * The state a send_join answer carries when the joining server asked for
 * omit_members (server-server-api joins-v2): every non-member event, the
 * joining user's own membership (an invite or knock is an auth event of the
 * join), and, when the room has no name nor canonical alias, the membership
 * of the heroes its clients need to name the room. Everything else a
 * member event: omitted. `state` is in stream order.
 */
export function partialJoinState<T extends OrderedStateEvent>(state: T[], joiningUserId: string): T[] {
  const named = state.some(
    ({ pdu }) =>
      pdu.state_key === '' &&
      ((pdu.type === 'm.room.name' && nonEmpty(pdu.content.name)) ||
        (pdu.type === 'm.room.canonical_alias' && nonEmpty(pdu.content.alias))),
  );
  const heroes = new Set(named ? [] : heroesOf(state, joiningUserId));
  return state.filter(
    ({ pdu }) => pdu.type !== 'm.room.member' || pdu.state_key === joiningUserId || heroes.has(pdu.state_key!),
  );
}

/**
 * client-server-api /sync `m.heroes`: the first 5 members by stream order
 * who are joined or invited, never the user asking; the left and banned when
 * there are none of those.
 */
export function heroesOf(state: OrderedStateEvent[], userId: string): string[] {
  const members = state
    .filter(({ pdu }) => pdu.type === 'm.room.member' && pdu.state_key !== userId)
    .sort((a, b) => (a.streamPos < b.streamPos ? -1 : a.streamPos > b.streamPos ? 1 : 0));
  const current = members.filter(({ pdu }) => pdu.content.membership === 'join' || pdu.content.membership === 'invite');
  return (
    current.length
      ? current
      : members.filter(({ pdu }) => pdu.content.membership === 'leave' || pdu.content.membership === 'ban')
  )
    .slice(0, HEROES)
    .map(({ pdu }) => pdu.state_key!);
}

/**
 * Whether a send_join answer is partial, and the servers it names: partial
 * only when it says members_omitted and lists servers_in_room (required
 * then); an answer that omits members without naming servers cannot be
 * completed, so it is refused rather than taken as the full state.
 */
export function partialStateOf(answer: {
  members_omitted?: unknown;
  servers_in_room?: unknown;
}): { partial: false } | { partial: true; servers: string[] } | { problem: string } {
  if (answer.members_omitted !== true) return { partial: false };
  const servers = answer.servers_in_room;
  if (
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((s) => typeof s === 'string' && isValidServerName(s))
  ) {
    return { problem: 'members_omitted without a valid servers_in_room' };
  }
  return { partial: true, servers: [...new Set(servers as string[])] };
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}
