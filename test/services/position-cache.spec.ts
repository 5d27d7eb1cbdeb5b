import { Redis } from 'ioredis';
import { openDatabase, RedisPositionCache, reconcilePositions, allocateStreamPositions, type Database } from '../../libs/storage/src';
import { servicesEnv } from '../support/services-env';

/** The Redis cache of stream positions against a real Redis and Postgres. */
describe('Redis position cache', () => {
  const env = servicesEnv();
  let cache: RedisPositionCache;
  let db: Database;

  beforeAll(async () => {
    const redis = new Redis(env.redisUrl);
    await redis.del('lattice:stream_positions');
    await redis.quit();
    cache = new RedisPositionCache(env.redisUrl);
    db = await openDatabase({ kind: 'postgres', url: env.postgresUrl });
  });
  afterAll(async () => {
    await cache.close();
    await db.close();
  });

  it('only ever raises a position', async () => {
    await cache.advance('receipts', 10n);
    await cache.advance('receipts', 7n);
    expect((await cache.read()).receipts).toBe(10n);
  });

  it('catches up with Postgres when a writer committed without updating it', async () => {
    const committed = await db.prisma.$transaction((tx) => allocateStreamPositions(tx, 'account_data', 5));
    await reconcilePositions(db.prisma, cache);
    expect((await cache.read()).account_data).toBe(committed + 4n);
  });
});
