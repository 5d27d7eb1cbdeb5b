import type { MembershipInput, RedactInput, SendInput } from '@lattice/contracts';
import { redactEvent, serverAclAllows, stateKey, type JsonObject } from '@lattice/protocol';
import type { RoomHead } from '@lattice/rooms';

/**
 * Why the room's server ACL refuses an input from one of our users, or
 * undefined when it does not:
 * - a user whose server the ACL denies cannot act in the room (except to
 *   leave it): every other server would ignore the event, and the tenants of
 *   one deployment treat each other as separate servers;
 * - no one may set an ACL, or redact the current one (a redacted ACL allows
 *   no one), that denies their own server: once the room ignores a server,
 *   it has no way back.
 */
export function serverAclRefusal(input: SendInput | MembershipInput | RedactInput, head: RoomHead): string | undefined {
  const current = head.state.get(stateKey('m.room.server_acl', ''));
  const leaving = input.kind === 'membership' && input.action === 'leave';
  if (!leaving && !serverAclAllows(current?.pdu.content as JsonObject | undefined, input.serverName))
    return `${input.serverName} is denied access to this room by its server ACL`;
  const next = aclAfter(input, head);
  if (next !== undefined && !serverAclAllows(next, input.serverName))
    return `That server ACL would deny ${input.serverName}, locking it out of the room`;
  return undefined;
}

/** The ACL content the input would put in place, if it changes the ACL. */
function aclAfter(input: SendInput | MembershipInput | RedactInput, head: RoomHead): JsonObject | undefined {
  if (input.kind === 'send' && input.type === 'm.room.server_acl' && input.stateKey === '')
    return input.content as JsonObject;
  const current = head.state.get(stateKey('m.room.server_acl', ''));
  if (input.kind === 'redact' && current && input.redacts === current.eventId)
    return redactEvent(head.version, current.pdu).content as JsonObject;
  return undefined;
}
