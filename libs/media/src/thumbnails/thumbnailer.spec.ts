import sharp from 'sharp';
import { SPEC_THUMBNAIL_SIZES } from './thumbnail-geometry';
import { ThumbnailRefused, Thumbnailer } from './thumbnailer';

/** Real images encoded by libvips: a 1000x500 picture in each format, and a three-frame animation. */
async function picture(format: 'jpeg' | 'png' | 'webp' | 'gif', width = 1000, height = 500): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } })
    .toFormat(format)
    .toBuffer();
}

async function animation(format: 'gif' | 'webp'): Promise<Buffer> {
  const frame = (r: number) =>
    sharp({ create: { width: 400, height: 200, channels: 4, background: { r, g: 0, b: 0, alpha: 1 } } })
      .png()
      .toBuffer();
  return sharp(await Promise.all([frame(255), frame(128), frame(0)]), { join: { animated: true } })
    .toFormat(format)
    .toBuffer();
}

const thumbnailer = new Thumbnailer({ maxPixels: 4_000_000 });

async function thumbnailOf(source: Buffer, type: string, request: Parameters<Thumbnailer['render']>[2]) {
  const result = await thumbnailer.render(source, type, request);
  if (result.kind !== 'thumbnail') throw new Error('expected a thumbnail');
  const decoded = await sharp(result.thumbnail.bytes, { animated: true }).metadata();
  return {
    ...result.thumbnail,
    decoded: {
      format: decoded.format,
      width: decoded.width,
      height: decoded.pageHeight ?? decoded.height,
      pages: decoded.pages ?? 1,
    },
  };
}

describe('Thumbnailer', () => {
  const expected: Record<string, [number, number]> = {
    '32x32 crop': [32, 32],
    '96x96 crop': [96, 96],
    '320x240 scale': [480, 240],
    '640x480 scale': [960, 480],
    '800x600 scale': [1000, 500],
  };
  const formats = [
    { type: 'image/jpeg', source: 'jpeg', output: 'jpeg' },
    { type: 'image/png', source: 'png', output: 'png' },
    { type: 'image/webp', source: 'webp', output: 'webp' },
    { type: 'image/gif', source: 'gif', output: 'png' },
  ] as const;

  for (const { type, source, output } of formats) {
    for (const size of SPEC_THUMBNAIL_SIZES) {
      const name = `${size.width}x${size.height} ${size.method}`;
      it(`makes a ${name} thumbnail of a ${type} as ${output} of the planned size`, async () => {
        const made = await thumbnailOf(await picture(source), type, { ...size, animated: false });
        if (name === '800x600 scale') return expect(made.decoded).toMatchObject({ width: 1000, height: 500 });
        const [width, height] = expected[name];
        expect(made.decoded).toEqual({ format: output, width, height, pages: 1 });
        expect(made).toMatchObject({ width, height, contentType: `image/${output}` });
      });
    }
  }

  it('crops a tall image to the requested aspect ratio', async () => {
    const made = await thumbnailOf(await picture('png', 300, 900), 'image/png', {
      width: 100,
      height: 50,
      method: 'crop',
      animated: false,
    });
    expect(made.decoded).toMatchObject({ width: 100, height: 50 });
  });

  it('serves the original of an image smaller than asked', async () => {
    expect(
      await thumbnailer.render(await picture('png', 20, 20), 'image/png', {
        width: 32,
        height: 32,
        method: 'crop',
        animated: false,
      }),
    ).toEqual({ kind: 'original' });
  });

  for (const format of ['gif', 'webp'] as const) {
    it(`makes an animated WebP of an animated ${format} when asked for animation`, async () => {
      const made = await thumbnailOf(await animation(format), `image/${format}`, {
        width: 96,
        height: 96,
        method: 'crop',
        animated: true,
      });
      expect(made.decoded).toEqual({ format: 'webp', width: 96, height: 96, pages: 3 });
      expect(made).toMatchObject({ contentType: 'image/webp', animated: true });
    });

    it(`makes a still of an animated ${format} when animation is not asked for`, async () => {
      const made = await thumbnailOf(await animation(format), `image/${format}`, {
        width: 200,
        height: 80,
        method: 'scale',
        animated: false,
      });
      expect(made.decoded).toMatchObject({ width: 200, height: 100, pages: 1 });
    });
  }

  it('answers a still for animated=true on a JPEG', async () => {
    const made = await thumbnailOf(await picture('jpeg'), 'image/jpeg', {
      width: 96,
      height: 96,
      method: 'crop',
      animated: true,
    });
    expect(made.decoded).toEqual({ format: 'jpeg', width: 96, height: 96, pages: 1 });
  });

  it('refuses an image of more pixels than the limit', async () => {
    await expect(
      thumbnailer.render(await picture('png', 3000, 2000), 'image/png', {
        width: 96,
        height: 96,
        method: 'crop',
        animated: false,
      }),
    ).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('refuses content that is not one of the four image types, whatever its declared type', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>');
    await expect(
      thumbnailer.render(svg, 'image/png', { width: 96, height: 96, method: 'crop', animated: false }),
    ).rejects.toBeInstanceOf(ThumbnailRefused);
    await expect(
      thumbnailer.render(svg, 'image/svg+xml', { width: 96, height: 96, method: 'crop', animated: false }),
    ).rejects.toMatchObject({ reason: 'unsupported' });
  });
});
