import { closestThumbnail, planThumbnail, SPEC_THUMBNAIL_SIZES, type ThumbnailSize } from './thumbnail-geometry';

describe('planThumbnail', () => {
  const landscape = { width: 1000, height: 500 };

  it('scales to the smallest size of the original aspect covering the request', () => {
    expect(planThumbnail(landscape, { width: 320, height: 240, method: 'scale' })).toEqual({
      kind: 'resize',
      method: 'scale',
      scaleTo: { width: 480, height: 240 },
      output: { width: 480, height: 240 },
    });
  });

  it('crops to exactly the requested size', () => {
    const plan = planThumbnail(landscape, { width: 96, height: 96, method: 'crop' });
    expect(plan).toMatchObject({ kind: 'resize', method: 'crop', output: { width: 96, height: 96 } });
  });

  it('serves the original when it is no larger than the request in both directions', () => {
    expect(planThumbnail({ width: 30, height: 20 }, { width: 32, height: 32, method: 'crop' })).toEqual({
      kind: 'original',
    });
  });

  it('never upscales: a crop wider than a thin original keeps its height', () => {
    expect(planThumbnail({ width: 1000, height: 50 }, { width: 96, height: 96, method: 'crop' })).toMatchObject({
      output: { width: 96, height: 50 },
    });
  });

  it('never upscales: a scale the original cannot cover stays at the original size', () => {
    expect(planThumbnail({ width: 700, height: 100 }, { width: 640, height: 480, method: 'scale' })).toMatchObject({
      output: { width: 700, height: 100 },
    });
  });
});

describe('closestThumbnail', () => {
  const made = (sizes: readonly ThumbnailSize[], original = { width: 1000, height: 500 }) =>
    sizes.map((size) => {
      const plan = planThumbnail(original, size);
      return plan.kind === 'resize' ? { ...plan.output, method: plan.method } : { ...original, method: size.method };
    });

  it('takes the smallest pre-generated thumbnail at least as large as asked', () => {
    const plan = planThumbnail({ width: 1000, height: 500 }, { width: 100, height: 100, method: 'scale' });
    expect(plan.kind === 'resize' && closestThumbnail(made(SPEC_THUMBNAIL_SIZES), plan)).toEqual({
      width: 480,
      height: 240,
      method: 'scale',
    });
  });

  it('takes no crop of another aspect ratio', () => {
    const plan = planThumbnail({ width: 1000, height: 500 }, { width: 100, height: 50, method: 'crop' });
    expect(plan.kind === 'resize' && closestThumbnail(made(SPEC_THUMBNAIL_SIZES), plan)).toBeUndefined();
  });

  it('takes nothing smaller than asked', () => {
    const plan = planThumbnail({ width: 1000, height: 500 }, { width: 990, height: 400, method: 'scale' });
    expect(plan.kind === 'resize' && closestThumbnail(made(SPEC_THUMBNAIL_SIZES.slice(0, 4)), plan)).toBeUndefined();
  });
});
