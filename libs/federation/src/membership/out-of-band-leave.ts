import type { Pdu, RoomVersion, SigningKey } from '@lattice/protocol';
import { signMembershipTemplate } from './sign-template';

/**
 * A leave that declines an invite when no server in the room can be reached
 * to take it (server-server-api "Leaving Rooms (Rejecting Invites)" needs a
 * resident server for make_leave/send_leave): signed by this server alone,
 * on top of the invite it answers (its only prev and auth event). The room
 * never sees it; it is the user's own record that they said no, shown once
 * in their rooms.leave as Synapse does with its "out-of-band" leaves.
 */
export function outOfBandLeave(
  version: RoomVersion,
  invite: { eventId: string; pdu: Pdu },
  origin: string,
  key: SigningKey,
): { eventId: string; pdu: Pdu } {
  const userId = invite.pdu.state_key!;
  const reference = version.eventIdFormat === 'origin' ? [invite.eventId, invite.pdu.hashes] : invite.eventId;
  const template = {
    type: 'm.room.member',
    room_id: invite.pdu.room_id,
    sender: userId,
    state_key: userId,
    content: {},
    prev_events: [reference],
    auth_events: [reference],
    depth: invite.pdu.depth + 1,
  } as unknown as Partial<Pdu>;
  return signMembershipTemplate(version, template, 'leave', {}, origin, key);
}
