import type { Sharp } from 'sharp';
import { loadSharp } from '../images/load-sharp';
import { planThumbnail, type Dimensions, type ThumbnailPlan, type ThumbnailSize } from './thumbnail-geometry';

/** The image types thumbnails are made of, and the static type each one's thumbnails take. */
const STATIC_OUTPUT: Record<string, ThumbnailType> = {
  'image/jpeg': 'image/jpeg',
  'image/png': 'image/png',
  'image/webp': 'image/webp',
  // A still of a GIF keeps its transparency as PNG.
  'image/gif': 'image/png',
};

const DECODED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif']);

/** The types that may be animated; their animated thumbnails are WebP, as the spec prefers. */
const ANIMATABLE = new Set(['image/gif', 'image/webp']);

export type ThumbnailType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface ThumbnailRequest extends ThumbnailSize {
  animated: boolean;
}

export interface Thumbnail extends Dimensions {
  bytes: Buffer;
  contentType: ThumbnailType;
  animated: boolean;
}

/** What made a thumbnail impossible: the request or the content, never the server. */
export class ThumbnailRefused extends Error {
  constructor(
    readonly reason: 'unsupported' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

export type PreparedThumbnail =
  { kind: 'original' } | (ThumbnailPlan & { kind: 'resize'; animated: boolean; make(): Promise<Thumbnail> });

export type ThumbnailResult = { kind: 'original' } | { kind: 'thumbnail'; thumbnail: Thumbnail };

/**
 * Makes thumbnails with libvips (sharp). Decoding is bounded: an image of
 * more than `maxPixels` pixels (all frames of an animation counted) is
 * refused before it is decoded, as the spec asks of images too large to
 * thumbnail.
 */
export class Thumbnailer {
  constructor(private readonly options: { maxPixels: number }) {}

  static canThumbnail(contentType: string): boolean {
    return baseType(contentType) in STATIC_OUTPUT;
  }

  /**
   * Decodes the image's header and plans the thumbnail: the original itself
   * (no larger than asked), or a resize, made by calling `make`.
   */
  async prepare(source: Buffer, declaredType: string, request: ThumbnailRequest): Promise<PreparedThumbnail> {
    const type = baseType(declaredType);
    const staticType = STATIC_OUTPUT[type];
    if (!staticType)
      throw new ThumbnailRefused('unsupported', `Cannot generate thumbnails for ${type || 'content without a type'}`);
    const animated = request.animated && ANIMATABLE.has(type);
    const sharp = await loadSharp();
    const meta = await sharp(source, { animated, limitInputPixels: false })
      .metadata()
      .catch((e: Error) => {
        throw new ThumbnailRefused('unsupported', `Cannot decode the image: ${e.message}`);
      });
    // The declared type is the uploader's word: only what really decodes as one of the four is thumbnailed (no SVG, PDF, ...).
    if (!DECODED_FORMATS.has(meta.format))
      throw new ThumbnailRefused('unsupported', `Cannot generate thumbnails for ${meta.format} content`);
    const frames = animated ? (meta.pages ?? 1) : 1;
    const frame = animated ? { width: meta.width, height: meta.pageHeight ?? meta.height } : meta.autoOrient;
    if (frame.width * frame.height * frames > this.options.maxPixels) {
      throw new ThumbnailRefused('too-large', `The image has more than ${this.options.maxPixels} pixels`);
    }
    const plan = planThumbnail(frame, request);
    if (plan.kind === 'original') return plan;
    const isAnimation = animated && frames > 1;
    const contentType: ThumbnailType = isAnimation ? 'image/webp' : staticType;
    const make = async (): Promise<Thumbnail> => {
      const pipeline = sharp(source, {
        animated: isAnimation,
        autoOrient: !isAnimation,
        limitInputPixels: this.options.maxPixels,
      }).resize(plan.output.width, plan.output.height, {
        fit: plan.method === 'crop' ? 'cover' : 'fill',
        position: 'centre',
      });
      const bytes = await encode(pipeline, contentType).catch((e: Error) => {
        throw new ThumbnailRefused('unsupported', `Cannot thumbnail the image: ${e.message}`);
      });
      return { bytes, contentType, animated: isAnimation, ...plan.output };
    };
    return { ...plan, animated: isAnimation, make };
  }

  /** prepare and make in one go. */
  async render(source: Buffer, declaredType: string, request: ThumbnailRequest): Promise<ThumbnailResult> {
    const prepared = await this.prepare(source, declaredType, request);
    return prepared.kind === 'original' ? prepared : { kind: 'thumbnail', thumbnail: await prepared.make() };
  }
}

function encode(pipeline: Sharp, type: ThumbnailType): Promise<Buffer> {
  if (type === 'image/jpeg') return pipeline.jpeg({ quality: 80 }).toBuffer();
  if (type === 'image/webp') return pipeline.webp({ quality: 80 }).toBuffer();
  return pipeline.png({ compressionLevel: 6 }).toBuffer();
}

function baseType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}
