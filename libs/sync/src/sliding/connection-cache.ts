import { Logger, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { databaseIdentity, PRISMA, type PrismaClient } from '@lattice/storage';

/** A sliding sync connection's row as the cache holds it (sliding_sync_connections). */
export interface CachedConnection {
  generation: string;
  pos: number;
  state: string;
  prevPos: number | null;
  prevState: string | null;
  /** Milliseconds since the epoch. */
  updatedAt: number;
}

/**
 * A cache of sliding sync connections in front of Postgres, so continuing a
 * connection reads no row. Postgres stays authoritative: every change is
 * written there first, and the store reads Postgres when the cache misses or
 * does not know the `pos` a request gives (a cache write lost or overtaken
 * costs one read, never a connection).
 */
export interface ConnectionCache {
  get(key: string): Promise<CachedConnection | undefined>;
  set(key: string, row: CachedConnection): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

export const CONNECTION_CACHE = Symbol('ConnectionCache');

/** Entries unused this long leave the cache (the connection stays in Postgres). */
const CACHE_TTL_SECONDS = 3600;
/** The single process's cache holds at most this many connections, the least recently used leaving first. */
const IN_PROCESS_ENTRIES = 10_000;

/** The single process serves every connection, so its memory is the cache. */
export class InProcessConnectionCache implements ConnectionCache {
  private readonly entries = new Map<string, { row: CachedConnection; expires: number }>();

  async get(key: string): Promise<CachedConnection | undefined> {
    const entry = this.entries.get(key);
    if (!entry || entry.expires < Date.now()) return undefined;
    return entry.row;
  }

  async set(key: string, row: CachedConnection): Promise<void> {
    this.entries.delete(key);
    if (this.entries.size >= IN_PROCESS_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { row, expires: Date.now() + CACHE_TTL_SECONDS * 1000 });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }
}

/**
 * Services mode: one Redis key per connection, `lattice:<database id>:sliding_sync:<key>`, shared by
 * every sync worker, so a connection continued on another worker or after a restart reads no row.
 * A Redis failure falls back to Postgres.
 */
export class RedisConnectionCache implements ConnectionCache, OnModuleDestroy {
  private readonly logger = new Logger(RedisConnectionCache.name);
  private readonly prefix: string;

  private constructor(
    private readonly redis: Redis,
    databaseId: string,
  ) {
    this.prefix = `lattice:${databaseId}:sliding_sync:`;
  }

  /** The Redis client is loaded here, not with this module: the single process, which has no Redis, does without its memory. */
  static async connect(url: string, databaseId: string): Promise<RedisConnectionCache> {
    const { Redis } = await import('ioredis');
    return new RedisConnectionCache(new Redis(url, { maxRetriesPerRequest: 2 }), databaseId);
  }

  async get(key: string): Promise<CachedConnection | undefined> {
    try {
      const raw = await this.redis.get(this.prefix + key);
      return raw === null ? undefined : (JSON.parse(raw) as CachedConnection);
    } catch (e) {
      this.logger.debug(`Reading connection ${key} from Postgres, the cache failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  async set(key: string, row: CachedConnection): Promise<void> {
    try {
      await this.redis.set(this.prefix + key, JSON.stringify(row), 'EX', CACHE_TTL_SECONDS);
    } catch (e) {
      // Postgres has the row; a stale entry is told apart by its pos or its age.
      this.logger.debug(`Not caching connection ${key}: ${(e as Error).message}`);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.del(...keys.map((k) => this.prefix + k));
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit();
  }
}

/** Redis when the deployment has one (services mode), else the process's memory. */
export const CONNECTION_CACHE_PROVIDER: Provider = {
  provide: CONNECTION_CACHE,
  useFactory: async (config: LatticeConfig, prisma: PrismaClient): Promise<ConnectionCache> =>
    config.cache.kind === 'redis'
      ? RedisConnectionCache.connect(config.cache.url, await databaseIdentity(prisma))
      : new InProcessConnectionCache(),
  inject: [LATTICE_CONFIG, PRISMA],
};

/** A connection's cache key: its parts URI-encoded, as a conn_id may hold any character. */
export function cacheKey(key: { userId: string; deviceId: string; connId: string }): string {
  return [key.userId, key.deviceId, key.connId].map(encodeURIComponent).join(':');
}
