import { decodeOutputPayload, encodeOutputPayloads } from './output-payload';

const events = (n: number, body = 'x') => Array.from({ length: n }, (_, i) => ({ n: i, body }));

describe('output payloads', () => {
  it('carries a publish call of small events in one message, in order', () => {
    const payloads = encodeOutputPayloads(events(100), 1_000_000);
    expect(payloads).toHaveLength(1);
    expect(decodeOutputPayload(payloads[0])).toEqual(events(100));
  });

  it('splits events across messages so that none exceeds the size limit, keeping their order', () => {
    const big = events(40, 'y'.repeat(1_000));
    const payloads = encodeOutputPayloads(big, 10_000);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(payload.byteLength).toBeLessThanOrEqual(10_000);
    expect(payloads.flatMap(decodeOutputPayload)).toEqual(big);
  });

  it('gives an event larger than the limit a message of its own', () => {
    const oversized = [{ body: 'a' }, { body: 'z'.repeat(500) }, { body: 'b' }];
    expect(encodeOutputPayloads(oversized, 100).map(decodeOutputPayload)).toEqual([
      [oversized[0]],
      [oversized[1]],
      [oversized[2]],
    ]);
  });

  it('counts bytes, not characters, of non-ASCII text', () => {
    const accented = events(10, 'é'.repeat(100));
    for (const payload of encodeOutputPayloads(accented, 500)) expect(payload.byteLength).toBeLessThanOrEqual(500);
  });

  it('publishes nothing for no events', () => {
    expect(encodeOutputPayloads([], 1_000)).toEqual([]);
  });
});
