import { createHash } from 'node:crypto';
import { serverNameOf, type JsonObject } from '@lattice/protocol';

/** The spec's `messages` map: user ID -> device ID (or `*`) -> content. */
export type ToDeviceMessages = Record<string, Record<string, JsonObject>>;

/**
 * A /sendToDevice request split by where it goes: the part for this
 * deployment's users, and per other server the part for its users (one
 * m.direct_to_device EDU each, server-server-api "Send-to-device messaging").
 */
export function routeToDevice(
  messages: ToDeviceMessages,
  isLocal: (serverName: string) => boolean,
): { local: ToDeviceMessages; remote: Map<string, ToDeviceMessages> } {
  const local: ToDeviceMessages = {};
  const remote = new Map<string, ToDeviceMessages>();
  for (const [userId, devices] of Object.entries(messages)) {
    const server = serverNameOf(userId)!;
    if (isLocal(server)) local[userId] = devices;
    else remote.set(server, { ...remote.get(server), [userId]: devices });
  }
  return { local, remote };
}

/**
 * The message_id of the EDUs a request sends: derived from the sending
 * device and its transaction ID, so a request retried after a crash sends
 * EDUs the receiving servers recognise as already delivered.
 */
export function toDeviceMessageId(userId: string, deviceId: string, txnId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([userId, deviceId, txnId]))
    .digest('base64url')
    .slice(0, 24);
}

export function directToDeviceEdu(
  sender: string,
  type: string,
  messageId: string,
  messages: ToDeviceMessages,
): JsonObject {
  return { edu_type: 'm.direct_to_device', content: { sender, type, message_id: messageId, messages } };
}
