import { computeEventId, type JsonObject, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import { checkIncomingPdu } from '../events/check-incoming-pdu';
import type { ServerKeys } from '../keys/server-keys';

/**
 * Invites a user of another server (server-server-api "Inviting to a
 * room"): the invite event, built and signed here, goes to the invitee's
 * server with the room's stripped state; it comes back countersigned, and
 * must still be the same event, properly signed.
 */
export async function inviteRemoteUser(
  client: FederationClient,
  keys: ServerKeys,
  origin: string,
  invitee: { serverName: string },
  version: RoomVersion,
  event: { eventId: string; pdu: Pdu },
  inviteRoomState: JsonObject[],
): Promise<Pdu> {
  const answer = await client.request<{ event?: Pdu }>(
    origin,
    invitee.serverName,
    'PUT',
    `/_matrix/federation/v2/invite/${encodeURIComponent(event.pdu.room_id!)}/${encodeURIComponent(event.eventId)}`,
    {
      room_version: version.id,
      event: event.pdu as unknown as JsonObject,
      invite_room_state: inviteRoomState,
    },
  );
  const signed = answer.event;
  if (!signed || computeEventId(version, signed) !== event.eventId)
    throw new Error(`${invitee.serverName} returned another event than the invite it was sent`);
  const checked = await checkIncomingPdu(version, signed, keys);
  if (!checked.ok) throw new Error(`${invitee.serverName} returned a badly signed invite: ${checked.reason}`);
  const theirs = (signed.signatures as Record<string, unknown>)[invitee.serverName];
  if (!theirs) throw new Error(`${invitee.serverName} did not sign the invite`);
  return checked.pdu;
}
