/**
 * Output events travel in batches: one JetStream message carries, as a JSON
 * array, as many consecutive events of a publish call as fit in a message.
 * A room-server batch of a hundred events then costs one stored message and
 * one delivery per consumer instead of a hundred of each.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OPEN = encoder.encode('[');
const COMMA = encoder.encode(',');
const CLOSE = encoder.encode(']');

/**
 * Encodes events, in order, into as few JSON-array payloads as keep each
 * under `maxBytes`. An event too large on its own still gets a payload of
 * its own (and the server refuses it, as it would have refused it alone).
 */
export function encodeOutputPayloads(events: readonly unknown[], maxBytes: number): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    payloads.push(Buffer.concat([OPEN, ...parts.flatMap((part, i) => (i === 0 ? [part] : [COMMA, part])), CLOSE]));
    parts = [];
    size = 0;
  };
  for (const event of events) {
    const encoded = encoder.encode(JSON.stringify(event));
    // Brackets and commas: one byte per event plus one.
    if (parts.length > 0 && size + encoded.length + parts.length + 2 > maxBytes) flush();
    parts.push(encoded);
    size += encoded.length;
  }
  flush();
  return payloads;
}

/** The events of one output message, in publish order. */
export function decodeOutputPayload(data: Uint8Array): unknown[] {
  return JSON.parse(decoder.decode(data)) as unknown[];
}
