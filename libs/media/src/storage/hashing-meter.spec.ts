import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { metered } from './hashing-meter';
import { BlobTooLargeError } from './media-storage';

const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });

describe('metered', () => {
  it('counts and hashes what goes through', async () => {
    const meter = metered(Readable.from([Buffer.from('hello '), Buffer.from('world')]), 100);
    await pipeline(meter, sink());
    expect(meter.result()).toEqual({ size: 11, sha256: createHash('sha256').update('hello world').digest('hex') });
  });

  it('fails past the limit without destroying the source', async () => {
    // Still open, as a request is whose rest has not arrived yet.
    const source = new Readable({ read: () => undefined });
    source.push(Buffer.alloc(6));
    source.push(Buffer.alloc(6));
    await expect(pipeline(metered(source, 10), sink())).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(source.destroyed).toBe(false);
  });
});
