/**
 * Limits on JSON request bodies, applied before a body is read in full or
 * parsed (see fastify-setup.ts), so an oversized or hostile body costs the
 * server neither memory nor CPU.
 */

/** The largest event the spec allows (client-server-api "Size limits": 65536 bytes as canonical JSON). */
const MAX_EVENT_BYTES = 64 * 1024;

/**
 * Every JSON body except a federation transaction. Sixteen maximum-size
 * events: room for the largest client requests (a to-device fan-out to a few
 * hundred devices, a key upload with many one-time keys), and still the
 * order of magnitude other homeservers accept, far below the media upload
 * size the HTTP server used to apply to every body.
 */
export const JSON_BODY_LIMIT_BYTES = 16 * MAX_EVENT_BYTES;

/**
 * A federation transaction may carry 50 PDUs of up to 64 KiB each
 * (server-server-api "Transactions"), plus EDUs, which have no size cap in
 * the spec: a MiB for them.
 */
export const FEDERATION_TRANSACTION_LIMIT_BYTES = 50 * MAX_EVENT_BYTES + 1024 * 1024;

/**
 * Deeper than any structure the spec defines (a transaction's PDU content
 * with relations and formatted bodies stays under ten levels), far shallower
 * than what recursive code over the parsed value can survive.
 */
export const JSON_MAX_NESTING_DEPTH = 100;

/** The body limit of a route, by its path pattern. */
export function bodyLimitFor(routeUrl: string): number {
  return routeUrl.startsWith('/_matrix/federation/v1/send/')
    ? FEDERATION_TRANSACTION_LIMIT_BYTES
    : JSON_BODY_LIMIT_BYTES;
}
