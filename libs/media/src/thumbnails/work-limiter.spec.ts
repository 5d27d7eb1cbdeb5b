import { WorkLimiter } from './work-limiter';

describe('WorkLimiter', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('runs no more than its limit at once', async () => {
    const limiter = new WorkLimiter(2);
    let running = 0;
    let most = 0;
    const job = async () => {
      most = Math.max(most, ++running);
      await tick();
      running--;
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => limiter.run(`job ${i}`, job)));
    expect(most).toBe(2);
  });

  it('shares one run among jobs of the same key', async () => {
    const limiter = new WorkLimiter(2);
    let runs = 0;
    const job = async () => {
      runs++;
      await tick();
      return 'made';
    };
    expect(await Promise.all([limiter.run('same', job), limiter.run('same', job)])).toEqual(['made', 'made']);
    expect(runs).toBe(1);
  });
});
