import { mapConcurrently } from './map-concurrently';

describe('mapConcurrently', () => {
  it('does every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await mapConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 2));
      done.push(n);
      running--;
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('fails with the first failure', async () => {
    await expect(
      mapConcurrently([1, 2], 2, async (n) => {
        if (n === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
  });

  it("gives the results in the items' order, whichever finished first", async () => {
    const results = await mapConcurrently([30, 1, 10], 3, async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    });
    expect(results).toEqual([30, 1, 10]);
  });
});
