import {
  openDatabase,
  RedisPositionCache,
  reconcilePositions,
  allocateStreamPositions,
  databaseIdentity,
  type Database,
} from '../../libs/storage/src';
import { Redis } from 'ioredis';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { servicesEnv } from '../support/services-env';

/** The Redis cache of stream positions against a real Redis and Postgres. */
describe('Redis position cache', () => {
  const env = servicesEnv();
  let cache: RedisPositionCache;
  let db: Database;
  let url: string;

  beforeAll(async () => {
    url = await createScratchDatabase(env.postgresUrl, 'lattice_cache');
    db = await openDatabase({ kind: 'postgres', url });
    cache = await RedisPositionCache.connect(env.redisUrl, await databaseIdentity(db.prisma));
  });
  afterAll(async () => {
    await cache.close();
    await db.close();
    await dropScratchDatabase(url);
  });

  it('only ever raises a position', async () => {
    await cache.advance('receipts', 10n);
    await cache.advance('receipts', 7n);
    expect((await cache.read()).receipts).toBe(10n);
  });

  it('keeps the positions of another database apart', async () => {
    await cache.advance('events', 1000n);
    const otherUrl = await createScratchDatabase(env.postgresUrl, 'lattice_cache');
    const other = await openDatabase({ kind: 'postgres', url: otherUrl });
    const otherCache = await RedisPositionCache.connect(env.redisUrl, await databaseIdentity(other.prisma));
    try {
      expect(await otherCache.read()).toEqual({});
    } finally {
      await otherCache.close();
      await other.close();
      await dropScratchDatabase(otherUrl);
    }
  });

  it('raises several streams at once, none of them back', async () => {
    await cache.advance('presence', 30n);
    await cache.advanceAll({ presence: 20n, to_device: 40n });
    expect(await cache.read()).toMatchObject({ presence: 30n, to_device: 40n });
  });

  it('answers the reads asked in one turn with one read of Redis', async () => {
    await cache.advance('device_lists', 77n);
    const redis = new Redis(env.redisUrl);
    const hgetalls = async () => Number(/cmdstat_hgetall:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    try {
      const before = await hgetalls();
      const [first, second, third] = await Promise.all([cache.read(), cache.read(), cache.read()]);
      expect(first.device_lists).toBe(77n);
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(await hgetalls()).toBe(before + 1);
      await cache.read();
      expect(await hgetalls()).toBe(before + 2);
    } finally {
      redis.disconnect();
    }
  });

  it('catches up with Postgres when a writer committed without updating it', async () => {
    const committed = await db.prisma.$transaction((tx) => allocateStreamPositions(tx, 'account_data', 5));
    await reconcilePositions(db.prisma, cache);
    expect((await cache.read()).account_data).toBe(committed + 4n);
  });
});
