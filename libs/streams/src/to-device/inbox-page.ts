/** client-server-api "Send-to-Device messaging": "100 messages is recommended as a reasonable limit" per /sync. */
export const TO_DEVICE_PER_SYNC = 100;

/**
 * What one /sync hands a device from its inbox, and the to-device position
 * of its next_batch. `rows` are the device's messages after `since`, oldest
 * first, fetched with `take: limit`. A full page stops the position at its
 * last message, so the next sync picks up exactly where this one stopped;
 * otherwise every message up to `upTo` has been handed out.
 */
export function inboxPage<T extends { streamPos: bigint }>(
  rows: T[],
  upTo: bigint,
  limit = TO_DEVICE_PER_SYNC,
): { messages: T[]; next: bigint } {
  const messages = rows.slice(0, limit);
  const full = messages.length === limit;
  return { messages, next: full ? messages[messages.length - 1].streamPos : upTo };
}
