import type { JsonObject } from '@lattice/protocol';

/** A to-device message addressed by a sender: to one device, or to every device of the user ('*'). */
export interface AddressedToDevice {
  userId: string;
  deviceId: string;
  sender: string;
  type: string;
  content: JsonObject;
}

/** A message for one existing device's inbox. */
export type InboxMessage = AddressedToDevice;

/** Where the spec's `*` device ID sends a message: every device of the user. */
export const ALL_DEVICES = '*';

/**
 * One inbox message per existing device a message is addressed to: `*`
 * expands to the user's devices, and a device that does not exist (never
 * did, or was deleted) gets nothing, since no client could ever collect it.
 */
export function expandRecipients(
  messages: AddressedToDevice[],
  devicesOf: ReadonlyMap<string, readonly string[]>,
): InboxMessage[] {
  const inbox: InboxMessage[] = [];
  for (const message of messages) {
    const devices = devicesOf.get(message.userId) ?? [];
    if (message.deviceId === ALL_DEVICES) inbox.push(...devices.map((deviceId) => ({ ...message, deviceId })));
    else if (devices.includes(message.deviceId)) inbox.push(message);
  }
  return inbox;
}

/** The spec's `messages` map (user ID -> device ID or `*` -> content), as one addressed message per entry. */
export function addressedMessages(
  sender: string,
  type: string,
  messages: Record<string, Record<string, JsonObject>>,
): AddressedToDevice[] {
  return Object.entries(messages).flatMap(([userId, devices]) =>
    Object.entries(devices).map(([deviceId, content]) => ({ userId, deviceId, sender, type, content })),
  );
}
