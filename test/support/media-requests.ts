import sharp from 'sharp';

/** Hand-made media requests with an access token, for what a test must see on the wire. */

export async function uploadMedia(
  baseUrl: string,
  token: string,
  bytes: Buffer,
  contentType: string,
  host?: string,
): Promise<string> {
  const response = await fetch(`${baseUrl}/_matrix/media/v3/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...(host ? { host } : {}) },
    body: new Uint8Array(bytes),
  });
  const body = (await response.json()) as { content_uri?: string };
  if (!response.ok || !body.content_uri) throw new Error(`upload answered ${response.status}: ${JSON.stringify(body)}`);
  return body.content_uri;
}

export interface FetchedMedia {
  status: number;
  contentType: string | null;
  bytes: Buffer;
  /** The error body of a failed request. */
  error?: { errcode: string; error: string };
}

export async function getMedia(url: string, token?: string, host?: string): Promise<FetchedMedia> {
  const response = await fetch(url, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(host ? { host } : {}) },
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const contentType = response.headers.get('content-type');
  return {
    status: response.status,
    contentType,
    bytes,
    ...(response.ok ? {} : { error: JSON.parse(bytes.toString('utf8')) as FetchedMedia['error'] }),
  };
}

/** The authenticated thumbnail of an mxc:// URI. */
export function thumbnailUrl(
  baseUrl: string,
  mxc: string,
  query: Record<string, string | number | boolean>,
  legacy = false,
): string {
  const [serverName, mediaId] = mxc.slice('mxc://'.length).split('/');
  const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const prefix = legacy ? '/_matrix/media/v3' : '/_matrix/client/v1/media';
  return `${baseUrl}${prefix}/thumbnail/${encodeURIComponent(serverName)}/${mediaId}?${params}`;
}

/** What an image's bytes decode to (libvips): its format, the size of one frame, and how many frames. */
export async function decodeImage(
  bytes: Buffer,
): Promise<{ format: string; width: number; height: number; pages: number }> {
  const meta = await sharp(bytes, { animated: true }).metadata();
  return { format: meta.format, width: meta.width, height: meta.pageHeight ?? meta.height, pages: meta.pages ?? 1 };
}

/** A 1000x500 picture in one of the four formats, made by libvips; of one colour, so pictures of different colours share no thumbnail. */
export function testPicture(
  format: 'jpeg' | 'png' | 'webp' | 'gif',
  width = 1000,
  height = 500,
  background = { r: 30, g: 120, b: 200 },
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .toFormat(format)
    .toBuffer();
}

/** A three-frame 400x200 animation. */
export async function testAnimation(format: 'gif' | 'webp'): Promise<Buffer> {
  const frame = (r: number) =>
    sharp({ create: { width: 400, height: 200, channels: 4, background: { r, g: 40, b: 0, alpha: 1 } } })
      .png()
      .toBuffer();
  return sharp(await Promise.all([frame(250), frame(150), frame(50)]), { join: { animated: true } })
    .toFormat(format)
    .toBuffer();
}
