import { SharedReads } from './shared-reads';

describe('SharedReads', () => {
  it('runs one read for callers asking the same thing while it runs', async () => {
    const reads = new SharedReads();
    let runs = 0;
    const read = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return [runs];
    };
    const [a, b] = await Promise.all([reads.share('k', read), reads.share('k', read)]);
    expect(runs).toBe(1);
    expect(a).toBe(b);
  });

  it('reads again once the earlier read has answered', async () => {
    const reads = new SharedReads();
    let runs = 0;
    const read = async () => ++runs;
    await reads.share('k', read);
    await reads.share('k', read);
    expect(runs).toBe(2);
  });

  it('passes a failure to every caller and forgets it', async () => {
    const reads = new SharedReads();
    const failing = () => Promise.reject(new Error('down'));
    await expect(Promise.all([reads.share('k', failing), reads.share('k', failing)])).rejects.toThrow('down');
    await expect(reads.share('k', async () => 'up')).resolves.toBe('up');
  });
});
