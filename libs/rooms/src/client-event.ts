import type { JsonObject, Pdu } from '@lattice/protocol';
import type { StoredEvent } from './room-reader';

/**
 * The client-server event format (client-server-api "Room Event Format"):
 * the PDU's public fields plus event_id and room_id, with `unsigned` from
 * this server's point of view (transaction_id only for the sending device;
 * redacted_because, the whole redaction event, for a redacted event;
 * m.relations, the bundled aggregations, when given; prev_content for a
 * state event that replaced another, with Synapse's prev_sender and
 * replaces_state beside it, which clients and Complement read too).
 */
export function toClientEvent(
  event: StoredEvent,
  viewer?: { userId: string; deviceId?: string },
  relations?: JsonObject,
): JsonObject {
  const unsigned = unsignedOf(event.pdu);
  if (relations) unsigned['m.relations'] = relations;
  if (event.redactedBy && event.redactedBecause)
    unsigned.redacted_because = formatEvent(
      event.redactedBy,
      event.roomId,
      event.redactedBecause,
      unsignedOf(event.redactedBecause),
    );
  if (viewer && event.txnId && event.pdu.sender === viewer.userId && event.senderDeviceId === viewer.deviceId)
    unsigned.transaction_id = event.txnId;
  if (event.viewerMembership !== undefined) unsigned.membership = event.viewerMembership;
  if (event.replaces) {
    unsigned.prev_content = event.replaces.pdu.content;
    unsigned.prev_sender = event.replaces.pdu.sender;
    unsigned.replaces_state = event.replaces.eventId;
  }
  return formatEvent(event.eventId, event.roomId, event.pdu, unsigned);
}

function unsignedOf(pdu: Pdu): JsonObject {
  return { age: Math.max(0, Date.now() - pdu.origin_server_ts) };
}

function formatEvent(eventId: string, roomId: string, pdu: Pdu, unsigned: JsonObject): JsonObject {
  const out: JsonObject = {
    event_id: eventId,
    room_id: roomId,
    sender: pdu.sender,
    type: pdu.type,
    content: pdu.content,
    origin_server_ts: pdu.origin_server_ts,
    unsigned,
  };
  if (pdu.state_key !== undefined) out.state_key = pdu.state_key;
  if (typeof pdu.redacts === 'string') out.redacts = pdu.redacts;
  else if (pdu.type === 'm.room.redaction' && typeof pdu.content.redacts === 'string')
    out.redacts = pdu.content.redacts;
  return out;
}
