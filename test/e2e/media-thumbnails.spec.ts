import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentReferences, MediaStorage, ThumbnailPregenerator } from '../../libs/media/src';
import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import {
  decodeImage,
  getMedia,
  testAnimation,
  testPicture,
  thumbnailUrl,
  uploadMedia,
} from '../support/media-requests';
import { rawClient, type Account } from '../support/raw-client';

/** client-server-api "Thumbnails": each method and size, checked by decoding what the server answers. */
describe('thumbnails, single process', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let alice: Account;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lattice-thumbnails-'));
    server = await startEmbeddedServer(
      { media: { storePath: join(dataDir, 'media'), thumbnails: { maxPixels: 4_000_000 } } },
      dataDir,
    );
    alice = await rawClient(() => server.url).register(`thumbs-${Date.now()}`);
  }, 60_000);
  afterAll(() => server?.close());

  const thumbnail = (mxc: string, query: Record<string, string | number | boolean>, legacy = false) =>
    getMedia(thumbnailUrl(server.url, mxc, query, legacy), alice.token);

  // A 1000x500 original: crop answers the requested size; scale the smallest 2:1 size covering it, never beyond the original.
  // Other sizes get the closest pre-generated thumbnail not smaller than asked (of the same aspect, for crop), else one made for them.
  const sizes = [
    { width: 32, height: 32, method: 'crop', expected: [32, 32] },
    { width: 96, height: 96, method: 'crop', expected: [96, 96] },
    { width: 320, height: 240, method: 'scale', expected: [480, 240] },
    { width: 640, height: 480, method: 'scale', expected: [960, 480] },
    { width: 800, height: 600, method: 'scale', expected: [1000, 500] },
    { width: 50, height: 40, method: 'crop', expected: [50, 40] },
    { width: 100, height: 100, method: 'scale', expected: [480, 240] },
  ] as const;
  const formats = [
    { format: 'jpeg', output: 'jpeg' },
    { format: 'png', output: 'png' },
    { format: 'webp', output: 'webp' },
    { format: 'gif', output: 'png' },
  ] as const;

  for (const { format, output } of formats) {
    describe(`of a ${format} image`, () => {
      let mxc: string;
      beforeAll(async () => {
        mxc = await uploadMedia(server.url, alice.token, await testPicture(format), `image/${format}`);
        await server.app.get(ThumbnailPregenerator).idle();
      });

      it.each(sizes)(
        `answers $width x $height $method as ${output} of the planned size`,
        async ({ width, height, method, expected }) => {
          const answer = await thumbnail(mxc, { width, height, method });
          expect(answer.status).toBe(200);
          expect(answer.contentType).toBe(`image/${output}`);
          expect(await decodeImage(answer.bytes)).toEqual({
            format: output,
            width: expected[0],
            height: expected[1],
            pages: 1,
          });
        },
      );
    });
  }

  it('makes the spec sizes in the background after an upload', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testPicture('png'), 'image/png');
    await server.app.get(ThumbnailPregenerator).idle();
    const mediaId = mxc.split('/').pop()!;
    const made = await server.app
      .get<Database>(DATABASE)
      .prisma.mediaThumbnail.findMany({ where: { mediaId }, orderBy: { width: 'asc' } });
    expect(made.map((t) => `${t.width}x${t.height} ${t.method} -> ${t.actualWidth}x${t.actualHeight}`)).toEqual([
      '32x32 crop -> 32x32',
      '96x96 crop -> 96x96',
      '320x240 scale -> 480x240',
      '640x480 scale -> 960x480',
      '800x600 scale -> 1000x500',
    ]);
  });

  it('deletes the thumbnails, rows and blobs, with their media', async () => {
    // A colour no other test uses: identical thumbnails of other media would (rightly) keep their blobs.
    const mxc = await uploadMedia(
      server.url,
      alice.token,
      await testPicture('webp', 1000, 500, { r: 7, g: 7, b: 7 }),
      'image/webp',
    );
    await server.app.get(ThumbnailPregenerator).idle();
    const [origin, mediaId] = mxc.slice('mxc://'.length).split('/');
    const prisma = server.app.get<Database>(DATABASE).prisma;
    const thumbnails = await prisma.mediaThumbnail.findMany({ where: { origin, mediaId } });
    const media = await prisma.media.findUniqueOrThrow({ where: { origin_mediaId: { origin, mediaId } } });
    expect(await server.app.get(ContentReferences).release(origin, mediaId, media.sha256!)).toBe(true);
    expect(await prisma.mediaThumbnail.count({ where: { origin, mediaId } })).toBe(0);
    const storage = server.app.get(MediaStorage);
    expect(await Promise.all(thumbnails.map((t) => storage.exists(t.sha256)))).toEqual(thumbnails.map(() => false));
  });

  it('answers an animated WebP of an animated GIF when asked for animation, and a still otherwise', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testAnimation('gif'), 'image/gif');
    const animated = await thumbnail(mxc, { width: 96, height: 96, method: 'crop', animated: true });
    expect(animated.contentType).toBe('image/webp');
    expect(await decodeImage(animated.bytes)).toEqual({ format: 'webp', width: 96, height: 96, pages: 3 });
    const still = await thumbnail(mxc, { width: 96, height: 96, method: 'crop' });
    expect(await decodeImage(still.bytes)).toEqual({ format: 'png', width: 96, height: 96, pages: 1 });
  });

  it('answers the original of an image no larger than asked', async () => {
    const small = await testPicture('png', 20, 10);
    const mxc = await uploadMedia(server.url, alice.token, small, 'image/png');
    const answer = await thumbnail(mxc, { width: 32, height: 32, method: 'crop' });
    expect(answer.bytes.equals(small)).toBe(true);
  });

  it('refuses an image over the pixel limit with 413 M_TOO_LARGE', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testPicture('png', 3000, 2000), 'image/png');
    const answer = await thumbnail(mxc, { width: 96, height: 96, method: 'crop' });
    expect({ status: answer.status, errcode: answer.error?.errcode }).toEqual({ status: 413, errcode: 'M_TOO_LARGE' });
  });

  it('refuses content that is not an image with 400 M_UNKNOWN', async () => {
    const mxc = await uploadMedia(
      server.url,
      alice.token,
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'image/png',
    );
    const answer = await thumbnail(mxc, { width: 96, height: 96, method: 'crop' });
    expect({ status: answer.status, errcode: answer.error?.errcode }).toEqual({ status: 400, errcode: 'M_UNKNOWN' });
  });

  it('refuses a request without a width', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testPicture('png'), 'image/png');
    expect((await thumbnail(mxc, { height: 96 })).error?.errcode).toBe('M_MISSING_PARAM');
    expect((await thumbnail(mxc, { width: 96, height: 96, method: 'stretch' })).error?.errcode).toBe('M_INVALID_PARAM');
  });

  it('keeps media uploaded after the freeze off the unauthenticated thumbnail endpoint', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testPicture('png'), 'image/png');
    const answer = await getMedia(thumbnailUrl(server.url, mxc, { width: 32, height: 32, method: 'crop' }, true));
    expect({ status: answer.status, errcode: answer.error?.errcode }).toEqual({ status: 404, errcode: 'M_NOT_FOUND' });
  });

  it('requires an access token on the authenticated endpoint', async () => {
    const mxc = await uploadMedia(server.url, alice.token, await testPicture('png'), 'image/png');
    expect((await getMedia(thumbnailUrl(server.url, mxc, { width: 32, height: 32 }))).error?.errcode).toBe(
      'M_MISSING_TOKEN',
    );
  });
});
