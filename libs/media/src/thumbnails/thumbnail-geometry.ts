/**
 * Thumbnail sizes (client-server-api "Thumbnails"). The requested width and
 * height are the smallest the client wants: a thumbnail is never smaller than
 * asked unless the original is, and never larger than the original (servers
 * MUST NOT upscale).
 *
 * - scale keeps the original's aspect ratio: the smallest such size covering
 *   the requested box, so one side matches the request and the other is at
 *   least as large.
 * - crop has the request's aspect ratio: the original is scaled to cover the
 *   box and its centre cut out.
 */

export type ThumbnailMethod = 'crop' | 'scale';

export interface Dimensions {
  width: number;
  height: number;
}

export interface ThumbnailSize extends Dimensions {
  method: ThumbnailMethod;
}

/** The sizes the spec says servers SHOULD produce: the default pre-generated set. */
export const SPEC_THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

/** What a thumbnail request of `requested` makes of an original: its output size, or none when the original itself is the answer. */
export type ThumbnailPlan =
  { kind: 'original' } | { kind: 'resize'; method: ThumbnailMethod; scaleTo: Dimensions; output: Dimensions };

/**
 * The plan for one request. An original no larger than the request in both
 * directions is served as it is ("servers should return the original content
 * rather than thumbnail it").
 */
export function planThumbnail(original: Dimensions, requested: ThumbnailSize): ThumbnailPlan {
  if (original.width <= requested.width && original.height <= requested.height) return { kind: 'original' };
  const cover = Math.min(1, Math.max(requested.width / original.width, requested.height / original.height));
  const scaleTo = {
    width: Math.max(1, Math.round(original.width * cover)),
    height: Math.max(1, Math.round(original.height * cover)),
  };
  if (requested.method === 'scale') return { kind: 'resize', method: 'scale', scaleTo, output: scaleTo };
  const output = {
    width: Math.min(requested.width, scaleTo.width),
    height: Math.min(requested.height, scaleTo.height),
  };
  return { kind: 'resize', method: 'crop', scaleTo, output };
}

/**
 * Of thumbnails already made, the one that best answers a request: same
 * method, at least the planned output size (so never smaller than asked),
 * the same aspect ratio for crop (a crop of another shape would show a
 * different part of the image), and the smallest of those.
 */
export function closestThumbnail<T extends ThumbnailSize>(
  available: readonly T[],
  plan: ThumbnailPlan & { kind: 'resize' },
): T | undefined {
  const wanted = plan.output;
  const fits = available.filter(
    (t) =>
      t.method === plan.method &&
      t.width >= wanted.width &&
      t.height >= wanted.height &&
      (plan.method === 'scale' ||
        Math.abs(t.width * wanted.height - t.height * wanted.width) <= Math.max(t.width, t.height)),
  );
  return fits.sort((a, b) => a.width * a.height - b.width * b.height)[0];
}
