/**
 * The user ID a login names: a full user ID, or a localpart of this tenant.
 * Localparts are registered in lower case, so one given in any case names
 * the same account (a user typing their name capitalised still gets in).
 */
export function loginUserId(user: string, serverName: string): string {
  const colon = user.indexOf(':');
  if (user.startsWith('@') && colon !== -1) return `${user.slice(0, colon).toLowerCase()}${user.slice(colon)}`;
  return `@${user.toLowerCase()}:${serverName}`;
}
