/**
 * client-server-api "Ignoring Users": the client no longer receives events
 * an ignored user sends, except state events (so the room's name and the
 * like look the same to everyone), nor invites from them.
 */

/** The users listed in `m.ignored_user_list` content (`ignored_users` is an object keyed by user ID). */
export function ignoredUsersOf(content: Record<string, unknown> | undefined): ReadonlySet<string> {
  const listed = content?.ignored_users;
  return new Set(listed !== null && typeof listed === 'object' && !Array.isArray(listed) ? Object.keys(listed) : []);
}

/** Whether an event is kept from a client that ignores its sender. */
export function hiddenByIgnore(ignored: ReadonlySet<string>, event: { sender: string; state_key?: string }): boolean {
  return event.state_key === undefined && ignored.has(event.sender);
}

/** Whether an invite, given as its invite_state, came from an ignored user. */
export function inviteFromIgnored(
  ignored: ReadonlySet<string>,
  inviteState: ReadonlyArray<{ type?: unknown; state_key?: unknown; sender?: unknown }>,
  userId: string,
): boolean {
  const invite = inviteState.find((e) => e.type === 'm.room.member' && e.state_key === userId);
  return typeof invite?.sender === 'string' && ignored.has(invite.sender);
}
