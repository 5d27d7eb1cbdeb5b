import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { SPEC_THUMBNAIL_SIZES, Thumbnailer } from '../../libs/media/src';
import { startSynapse } from '../../test/support/synapse';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startSingleProcess } from '../homeserver/targets';

/** Distinct photos uploaded to each server, each then thumbnailed once over HTTP (LATTICE_BENCH_THUMBNAILS). */
const PHOTOS = Number(process.env.LATTICE_BENCH_THUMBNAILS ?? 20);
/** A size neither server makes on upload, so every request makes a thumbnail. */
const ON_DEMAND = { width: 200, height: 150, method: 'scale' } as const;

/**
 * Thumbnail generation per second. In process: the Thumbnailer (libvips via
 * sharp) making each of the spec's sizes of a 1920x1080 JPEG photo, and an
 * animated WebP of a GIF. Over HTTP: Lattice (single process) and Synapse
 * from PyPI (Pillow, dynamic_thumbnails on) side by side, each asked for a
 * thumbnail of a size it has not made of each of PHOTOS uploaded photos.
 */
export async function run(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const photo = await noisyPhoto(0);
  const thumbnailer = new Thumbnailer({ maxPixels: 32_000_000 });
  for (const size of SPEC_THUMBNAIL_SIZES) {
    results[`in process: ${size.width}x${size.height} ${size.method} of a 1920x1080 JPEG, per second`] =
      await perSecond(() => thumbnailer.render(photo, 'image/jpeg', { ...size, animated: false }));
  }
  const gif = await animatedGif();
  results['in process: animated 96x96 crop (WebP) of a 10-frame 480x270 GIF, per second'] = await perSecond(() =>
    thumbnailer.render(gif, 'image/gif', { width: 96, height: 96, method: 'crop', animated: true }),
  );

  const photos = await Promise.all(Array.from({ length: PHOTOS }, (_, i) => noisyPhoto(i + 1)));
  const targets = [await startLattice()];
  if (process.env.LATTICE_SYNAPSE_PYTHON) targets.push(await startSynapseTarget());
  else console.log('  (Synapse skipped: set LATTICE_SYNAPSE_PYTHON to the python of a virtualenv with matrix-synapse)');
  try {
    for (const target of targets) {
      const mxcs: string[] = [];
      for (const bytes of photos) mxcs.push(await upload(target, bytes));
      const start = performance.now();
      for (const mxc of mxcs) await thumbnail(target, mxc);
      const seconds = (performance.now() - start) / 1000;
      results[
        `${target.name}: on-demand ${ON_DEMAND.width}x${ON_DEMAND.height} ${ON_DEMAND.method} thumbnails of 1920x1080 JPEGs over HTTP, per second`
      ] = round1(PHOTOS / seconds);
    }
  } finally {
    for (const target of targets) await target.stop();
  }
  return results;
}

interface Target {
  name: string;
  url: string;
  token: string;
  stop(): Promise<void>;
}

async function startLattice(): Promise<Target> {
  // Pre-generation off: the upload makes nothing, so the timed requests are the generations.
  const config = join(mkdtempSync(join(tmpdir(), 'lattice-bench-')), 'lattice.yaml');
  writeFileSync(
    config,
    'rateLimit: { perSecond: 100000, burst: 100000 }\nmedia: { thumbnails: { pregenerate: false } }\n',
  );
  const target = await startSingleProcess(18770, undefined, { LATTICE_CONFIG: config });
  const response = await fetch(`${target.url}/_matrix/client/v3/register`, {
    method: 'POST',
    body: JSON.stringify({ username: 'thumbbench', password: 'bench password', auth: { type: 'm.login.dummy' } }),
  });
  const { access_token } = (await response.json()) as { access_token: string };
  return { name: 'lattice single-process', url: target.url, token: access_token, stop: () => target.stop() };
}

async function startSynapseTarget(): Promise<Target> {
  const synapse = await startSynapse(makeTestCertificates(), {
    config: { dynamic_thumbnails: true, rc_media_create: { per_second: 1000, burst_count: 1000 } },
  });
  const { accessToken } = await synapse.register('thumbbench');
  return { name: 'synapse (PyPI, Pillow)', url: synapse.clientUrl, token: accessToken, stop: () => synapse.stop() };
}

async function upload(target: Target, bytes: Buffer): Promise<string> {
  const response = await fetch(`${target.url}/_matrix/media/v3/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'image/jpeg' },
    body: new Uint8Array(bytes),
  });
  const body = (await response.json()) as { content_uri?: string };
  if (!body.content_uri) throw new Error(`${target.name} upload answered ${response.status}`);
  return body.content_uri;
}

/** One thumbnail, checked: a JPEG at least as large as asked, of the photo's 16:9 shape. */
async function thumbnail(target: Target, mxc: string): Promise<void> {
  const query = new URLSearchParams({
    width: String(ON_DEMAND.width),
    height: String(ON_DEMAND.height),
    method: ON_DEMAND.method,
  });
  const response = await fetch(
    `${target.url}/_matrix/client/v1/media/thumbnail/${mxc.slice('mxc://'.length)}?${query}`,
    { headers: { authorization: `Bearer ${target.token}` } },
  );
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200)
    throw new Error(`${target.name} thumbnail answered ${response.status}: ${bytes.toString('utf8').slice(0, 200)}`);
  const meta = await sharp(bytes).metadata();
  if (meta.width < ON_DEMAND.width && meta.height < ON_DEMAND.height)
    throw new Error(
      `${target.name} answered a ${meta.width}x${meta.height} thumbnail for ${ON_DEMAND.width}x${ON_DEMAND.height}`,
    );
}

/** Calls per second over at least a second (and five calls), after one untimed call. */
async function perSecond(call: () => Promise<unknown>): Promise<number> {
  await call();
  let calls = 0;
  const start = performance.now();
  while (calls < 5 || performance.now() - start < 1000) {
    await call();
    calls++;
  }
  return round1(calls / ((performance.now() - start) / 1000));
}

/** A 1920x1080 JPEG of gaussian noise over a gradient-free background: as hard to decode and resize as a photo, and different for each seed. */
function noisyPhoto(seed: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 1920,
      height: 1080,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 100 + (seed % 50), sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      sharp({
        create: {
          width: 480,
          height: 270,
          channels: 3,
          background: '#000',
          noise: { type: 'gaussian', mean: 60 + i * 10, sigma: 30 },
        },
      })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(frames, { join: { animated: true } })
    .gif()
    .toBuffer();
}

const round1 = (n: number) => Math.round(n * 10) / 10;
