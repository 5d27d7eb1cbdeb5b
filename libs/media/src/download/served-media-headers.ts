import type { FastifyReply } from 'fastify';
import { contentDisposition } from './content-disposition';

/** client-server-api "Content repository": what a browser must not do with served media. */
const CONTENT_SECURITY_POLICY =
  "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';";

/** Content at an mxc:// URI never changes, so it may be cached for as long as caches keep anything. */
const CACHE_FOR_A_YEAR = 'max-age=31536000, immutable';

/**
 * The headers of served media bytes, downloads and thumbnails alike:
 * Content-Disposition, Content-Security-Policy, Cross-Origin-Resource-Policy,
 * no sniffing, and caching (private for the authenticated endpoints).
 */
export function setServedMediaHeaders(
  reply: FastifyReply,
  media: { contentType: string; fileName: string | null; unauthenticated: boolean; etag: string },
): void {
  reply
    .header('content-type', media.contentType)
    .header('content-disposition', contentDisposition(media.contentType, media.fileName))
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('x-content-type-options', 'nosniff')
    // Authenticated answers are for their requester only: shared caches must not keep them.
    .header('cache-control', `${media.unauthenticated ? 'public' : 'private'}, ${CACHE_FOR_A_YEAR}`)
    .header('etag', media.etag);
}
