import { ACCESS_WRITE_INTERVAL_MS, MediaAccessTimes } from './media-access-times';
import type { MediaStore } from '../metadata/media-store';

/** The store's writes, as a list (the real UPDATE is proven in test/e2e/admin-api.spec.ts). */
class FakeStore {
  readonly writes: Array<Array<{ origin: string; mediaId: string; ts: number }>> = [];
  fail = false;
  async recordAccess(accesses: Array<{ origin: string; mediaId: string; ts: number }>) {
    if (this.fail) throw new Error('database away');
    this.writes.push([...accesses]);
  }
}

const media = (lastAccessTs: number | null = null) => ({ origin: 'a.test', mediaId: 'm1', lastAccessTs });

describe('MediaAccessTimes', () => {
  let store: FakeStore;
  let times: MediaAccessTimes;

  beforeEach(() => {
    store = new FakeStore();
    times = new MediaAccessTimes(store as unknown as MediaStore);
  });
  afterEach(() => times.onApplicationShutdown());

  it('writes many downloads of one item as one row with the latest time', async () => {
    times.noteDownload(media(), 1_000);
    times.noteDownload(media(), 2_000);
    times.noteDownload({ ...media(), mediaId: 'm2' }, 1_500);
    await times.write();
    expect(store.writes).toEqual([
      [
        { origin: 'a.test', mediaId: 'm1', ts: 2_000 },
        { origin: 'a.test', mediaId: 'm2', ts: 1_500 },
      ],
    ]);
  });

  it('does not note an item whose stored time is younger than the write interval', async () => {
    times.noteDownload(media(10_000), 10_000 + ACCESS_WRITE_INTERVAL_MS - 1);
    await times.write();
    expect(store.writes).toEqual([]);
  });

  it('answers a noted time before it is written', () => {
    const now = 5 + ACCESS_WRITE_INTERVAL_MS;
    times.noteDownload(media(5), now);
    expect(times.lastAccess(media(5))).toBe(now);
    expect(times.lastAccess({ ...media(5), mediaId: 'other' })).toBe(5);
  });

  it('keeps the times of a failed write for the next one', async () => {
    times.noteDownload(media(), 1_000);
    store.fail = true;
    await times.write();
    store.fail = false;
    await times.write();
    expect(store.writes).toEqual([[{ origin: 'a.test', mediaId: 'm1', ts: 1_000 }]]);
  });
});
