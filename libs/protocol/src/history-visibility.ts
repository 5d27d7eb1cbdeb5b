/**
 * Who may see a room event: client-server-api "Room History Visibility"
 * ("Server behaviour"), applied to users and, for federation reads, to
 * servers (a server may see an event if one of its users could).
 *
 * The decision is a pure function of the room's state just before the event
 * (the `m.room.history_visibility` value and the viewer's membership), the
 * event itself, and whether the viewer joined at some point after it.
 */
import { serverNameOf } from './identifiers';

export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined';

/** Most permissive first: when an event changes the setting, the wider of the two applies to it. */
const VISIBILITY_ORDER: readonly HistoryVisibility[] = ['world_readable', 'shared', 'invited', 'joined'];

/** Most joined first: a user's own membership event is judged by the more joined of before and after. */
const MEMBERSHIP_ORDER: readonly string[] = ['join', 'invite', 'knock', 'leave', 'ban'];

/** The part of an event the rules read. */
export interface VisibilityEvent {
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** The room's state just before an event, as far as the rules read it. */
export interface StateBeforeEvent {
  /** `content.history_visibility` of the state's `m.room.history_visibility` event (undefined if none). */
  historyVisibility: unknown;
  /** Membership by user ID of the viewers asked about (a user absent here had none). */
  memberships: ReadonlyMap<string, string>;
}

/** "If no history_visibility is set, or if the value is not understood, the visibility is assumed to be shared." */
export function parseHistoryVisibility(value: unknown): HistoryVisibility {
  return VISIBILITY_ORDER.includes(value as HistoryVisibility) ? (value as HistoryVisibility) : 'shared';
}

/**
 * The setting an event is judged by: the one in force before it, except that
 * an `m.room.history_visibility` event is judged by the wider of the old and
 * new values, so the members who saw the old setting see it change.
 */
export function visibilityAtEvent(event: VisibilityEvent, before: unknown): HistoryVisibility {
  const old = parseHistoryVisibility(before);
  if (event.type !== 'm.room.history_visibility' || event.state_key !== '') return old;
  const next = parseHistoryVisibility(event.content.history_visibility);
  return VISIBILITY_ORDER.indexOf(next) < VISIBILITY_ORDER.indexOf(old) ? next : old;
}

/**
 * A user's membership at an event: the one before it, except for the user's
 * own membership event, judged by the more joined of before and after (a
 * user sees their own join, and the leave that ends their membership).
 */
export function membershipAtEvent(
  event: VisibilityEvent,
  userId: string,
  before: string | undefined,
): string | undefined {
  if (event.type !== 'm.room.member' || event.state_key !== userId) return before;
  const after = typeof event.content.membership === 'string' ? event.content.membership : undefined;
  const rank = (m: string | undefined) =>
    m === undefined || !MEMBERSHIP_ORDER.includes(m) ? MEMBERSHIP_ORDER.length : MEMBERSHIP_ORDER.indexOf(m);
  return rank(after) < rank(before) ? after : before;
}

/**
 * `unsigned.membership` of a client event: the viewer's membership once the
 * event is applied (their own member event counts with what it sets), and
 * `leave` when they had none (client-server-api ClientEvent, v1.11).
 */
export function membershipAfterEvent(event: VisibilityEvent, userId: string, before: string | undefined): string {
  const own =
    event.type === 'm.room.member' && event.state_key === userId && typeof event.content.membership === 'string';
  return (own ? (event.content.membership as string) : before) ?? 'leave';
}

/**
 * The spec's five rules, in order, for one user:
 * 1. world_readable: allow. 2. membership join: allow. 3. shared, and the
 * user joined at any point after the event: allow. 4. membership invite and
 * invited: allow. 5. deny.
 */
export function userMaySeeEvent(
  userId: string,
  event: VisibilityEvent,
  state: StateBeforeEvent,
  joinedAfter: boolean,
): boolean {
  const visibility = visibilityAtEvent(event, state.historyVisibility);
  if (visibility === 'world_readable') return true;
  if (isOwnDeparture(event, userId, state.memberships.get(userId))) return true;
  const membership = membershipAtEvent(event, userId, state.memberships.get(userId));
  if (membership === 'join') return true;
  if (visibility === 'shared' && joinedAfter) return true;
  return visibility === 'invited' && membership === 'invite';
}

/**
 * The leave that ends a user's invite, knock or membership is theirs to see
 * whatever the setting: without it a client never learns that the invite it
 * rejected (or the knock it withdrew) is gone.
 */
function isOwnDeparture(event: VisibilityEvent, userId: string, before: string | undefined): boolean {
  return (
    event.type === 'm.room.member' &&
    event.state_key === userId &&
    event.content.membership === 'leave' &&
    (before === 'invite' || before === 'knock' || before === 'join')
  );
}

/**
 * A server may see an event if one of its users could: `state.memberships`
 * holds the memberships of that server's users before the event, and
 * `anyJoinedAfter` says whether any of them joined after it. The event's own
 * member, if one of the server's users, counts too (their join is theirs to see).
 */
export function serverMaySeeEvent(
  serverName: string,
  event: VisibilityEvent,
  state: StateBeforeEvent,
  anyJoinedAfter: boolean,
): boolean {
  const users = new Set(state.memberships.keys());
  if (event.type === 'm.room.member' && event.state_key !== undefined && serverNameOf(event.state_key) === serverName)
    users.add(event.state_key);
  // With no user at all, only the rules that need no membership can allow.
  if (users.size === 0) users.add('');
  return [...users].some((userId) => userMaySeeEvent(userId, event, state, anyJoinedAfter));
}
