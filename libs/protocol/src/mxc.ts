import { isValidServerName } from './identifiers';

/**
 * Media identifiers (client-server-api "Matrix Content (mxc://) URIs" and its
 * security considerations): a media ID is only `A-Za-z0-9_-`, and the server
 * name a valid server name, so neither can ever be a path trick
 * (`mxc://127.0.0.1/../../etc/passwd`).
 */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function isValidMediaId(mediaId: string): boolean {
  return MEDIA_ID.test(mediaId);
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}

/** The server name and media ID of an mxc:// URI, or undefined when it is not a well-formed one. */
export function parseMxcUri(uri: string): { serverName: string; mediaId: string } | undefined {
  const match = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match || !isValidServerName(match[1]) || !isValidMediaId(match[2])) return undefined;
  return { serverName: match[1], mediaId: match[2] };
}

/**
 * The content types the spec lists as safe to serve with
 * `Content-Disposition: inline` (client-server-api "Serving inline content");
 * everything else is served as an attachment.
 */
const INLINE_SAFE_CONTENT_TYPES = new Set([
  'text/css',
  'text/plain',
  'text/csv',
  'application/json',
  'application/ld+json',
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** Whether content of this type (parameters such as `; charset=utf-8` ignored) may be served inline. */
export function isInlineSafeContentType(contentType: string): boolean {
  return INLINE_SAFE_CONTENT_TYPES.has(contentType.split(';')[0].trim().toLowerCase());
}
