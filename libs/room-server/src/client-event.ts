import type { JsonObject } from '@lattice/protocol';
import type { StoredEvent } from './room-reader';

/**
 * The client-server event format (client-server-api "Room Event Format"):
 * the PDU's public fields plus event_id and room_id, with `unsigned` from
 * this server's point of view (transaction_id only for the sending device).
 */
export function toClientEvent(event: StoredEvent, viewer?: { userId: string; deviceId?: string }): JsonObject {
  const pdu = event.pdu;
  const unsigned: JsonObject = { age: Math.max(0, Date.now() - pdu.origin_server_ts) };
  if (event.redactedBy) unsigned.redacted_because = { event_id: event.redactedBy };
  if (viewer && event.txnId && pdu.sender === viewer.userId && event.senderDeviceId === viewer.deviceId) unsigned.transaction_id = event.txnId;
  if (event.viewerMembership !== undefined) unsigned.membership = event.viewerMembership;
  const out: JsonObject = {
    event_id: event.eventId,
    room_id: event.roomId,
    sender: pdu.sender,
    type: pdu.type,
    content: pdu.content,
    origin_server_ts: pdu.origin_server_ts,
    unsigned,
  };
  if (pdu.state_key !== undefined) out.state_key = pdu.state_key;
  if (typeof pdu.redacts === 'string') out.redacts = pdu.redacts;
  else if (pdu.type === 'm.room.redaction' && typeof pdu.content.redacts === 'string') out.redacts = pdu.content.redacts;
  return out;
}
