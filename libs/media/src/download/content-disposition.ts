import { isInlineSafeContentType } from '@lattice/protocol';

/**
 * The Content-Disposition of a download (client-server-api GET
 * /download, "Serving inline content"): `inline` only for the spec's safe
 * types, `attachment` otherwise, with the upload's file name when it had one.
 * A name that is plain printable ASCII goes in `filename="..."`; any other
 * goes percent-encoded in `filename*=utf-8''...` (RFC 6266, RFC 8187), which
 * keeps non-ASCII names intact and quotes or line breaks harmless.
 */
export function contentDisposition(contentType: string, fileName: string | null): string {
  const disposition = isInlineSafeContentType(contentType) ? 'inline' : 'attachment';
  if (fileName === null || fileName === '') return disposition;
  if (/^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName)) return `${disposition}; filename="${fileName}"`;
  return `${disposition}; filename*=utf-8''${encodeRfc8187(fileName)}`;
}

function encodeRfc8187(value: string): string {
  // encodeURIComponent leaves !'()* alone; RFC 8187's attr-char does not allow ' ( ) *.
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
