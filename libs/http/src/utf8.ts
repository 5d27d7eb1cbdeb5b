const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a body that is well-formed UTF-8, or undefined. JSON exchanged
 * between systems must be UTF-8 (RFC 8259 section 8.1); a lenient decoder
 * would silently turn bad bytes into U+FFFD and store text the sender never
 * wrote, so bad bytes reject the body instead. A byte order mark is kept,
 * so JSON.parse rejects it as the RFC allows.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
