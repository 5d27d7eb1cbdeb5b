import { TickBatch } from './tick-batch';

describe('TickBatch', () => {
  it('reads the keys asked for in one turn with one load, answering each caller its own value', async () => {
    const loads: number[][] = [];
    const batch = new TickBatch(async (keys: number[]) => {
      loads.push(keys);
      return keys.map((k) => k * 10);
    });
    await expect(Promise.all([batch.read(1), batch.read(2), batch.read(3)])).resolves.toEqual([10, 20, 30]);
    expect(loads).toEqual([[1, 2, 3]]);
  });

  it('loads again for keys asked for after the batch went', async () => {
    const loads: number[][] = [];
    const batch = new TickBatch(async (keys: number[]) => {
      loads.push(keys);
      return keys;
    });
    await batch.read(1);
    await batch.read(2);
    expect(loads).toEqual([[1], [2]]);
  });

  it('passes a failed load to every caller of its batch', async () => {
    const batch = new TickBatch<number, number>(() => Promise.reject(new Error('down')));
    const reads = [batch.read(1), batch.read(2)];
    await expect(reads[0]).rejects.toThrow('down');
    await expect(reads[1]).rejects.toThrow('down');
  });
});
