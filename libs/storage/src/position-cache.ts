import type { Redis } from 'ioredis';
import type { PrismaClient } from './generated/prisma/client';
import { STREAM_NAMES, type StreamName } from './stream-positions';

/**
 * A cache of the committed stream positions, so the many sync long-polls
 * read them without a Postgres query each. Postgres stays authoritative:
 * writers raise the cache after their transaction commits, and sync workers
 * reconcile it from Postgres periodically, so a writer that died between
 * commit and cache update delays an answer by at most one reconcile period.
 */
export interface PositionCache {
  /** Raises a stream's cached position to `position` (never lowers it). */
  advance(stream: StreamName, position: bigint): Promise<void>;
  /** Raises each stream's cached position to the one given (never lowers any), at once. */
  advanceAll(positions: Partial<Record<StreamName, bigint>>): Promise<void>;
  /** The cached positions; streams the cache does not hold are absent. */
  read(): Promise<Partial<Record<StreamName, bigint>>>;
  close(): Promise<void>;
}

/** Dependency-injection token of the process's PositionCache. */
export const POSITION_CACHE = Symbol('PositionCache');

/** No cache (a service process without Redis): every read goes to the database. */
export class NoPositionCache implements PositionCache {
  async advance(): Promise<void> {}
  async advanceAll(): Promise<void> {}
  async read(): Promise<Partial<Record<StreamName, bigint>>> {
    return {};
  }
  async close(): Promise<void> {}
}

/**
 * The cache of the single-process server, where every writer and every
 * /sync run in this process: raised after each commit, so /sync reads
 * positions without a query.
 */
export class InProcessPositionCache implements PositionCache {
  private readonly positions: Partial<Record<StreamName, bigint>> = {};

  async advance(stream: StreamName, position: bigint): Promise<void> {
    if ((this.positions[stream] ?? -1n) < position) this.positions[stream] = position;
  }

  async advanceAll(positions: Partial<Record<StreamName, bigint>>): Promise<void> {
    for (const [stream, position] of Object.entries(positions) as Array<[StreamName, bigint]>)
      await this.advance(stream, position);
  }

  async read(): Promise<Partial<Record<StreamName, bigint>>> {
    return { ...this.positions };
  }

  async close(): Promise<void> {}
}

/**
 * HSET only upwards, atomically: two writers finishing out of order cannot move a position back. ARGV holds
 * stream and position pairs, so a reconciliation raises every stream in one round trip.
 */
const RAISE = `for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(ARGV[i + 1]) > tonumber(current) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end`;

/**
 * The cache shared by the processes of services mode. Its key names the
 * database (see databaseIdentity), so positions cached for one database are
 * never read against another (a new database, or a test's scratch one).
 */
export class RedisPositionCache implements PositionCache {
  private readonly key: string;
  /** The read queued for the end of this turn, which every read asked before it is sent shares. */
  private queued: Promise<Partial<Record<StreamName, bigint>>> | undefined;

  private constructor(
    private readonly redis: Redis,
    databaseId: string,
  ) {
    this.key = `lattice:${databaseId}:stream_positions`;
  }

  /** The Redis client is loaded here, not with this module: the single process, which has no Redis, does without its memory. */
  static async connect(url: string, databaseId: string): Promise<RedisPositionCache> {
    const { Redis } = await import('ioredis');
    return new RedisPositionCache(new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 }), databaseId);
  }

  async advance(stream: StreamName, position: bigint): Promise<void> {
    await this.advanceAll({ [stream]: position });
  }

  async advanceAll(positions: Partial<Record<StreamName, bigint>>): Promise<void> {
    const pairs = Object.entries(positions).flatMap(([stream, position]) => [stream, position.toString()]);
    if (pairs.length > 0) await this.redis.eval(RAISE, 1, this.key, ...pairs);
  }

  /**
   * A sync worker's long-polls woken by one event ask for the positions at about the same moment (each before
   * it reads, and again for its unread counts): they share one HGETALL, sent at the end of the turn. Each
   * answer is read after its ask, so it holds at least what was committed when it was asked.
   */
  read(): Promise<Partial<Record<StreamName, bigint>>> {
    this.queued ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => {
        this.queued = undefined;
        return this.redis.hgetall(this.key);
      })
      .then((raw) => Object.fromEntries(Object.entries(raw).map(([stream, position]) => [stream, BigInt(position)])));
    return this.queued;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/** The identity of the database, made once by its migration. */
export async function databaseIdentity(db: PrismaClient): Promise<string> {
  const row = await db.databaseIdentity.findFirstOrThrow();
  return row.id;
}

/**
 * Reads the committed positions from Postgres and raises the cache to them
 * (a writer may have died before updating it). Returns what Postgres has.
 */
export async function reconcilePositions(db: PrismaClient, cache: PositionCache): Promise<Record<StreamName, bigint>> {
  const rows = await db.streamPosition.findMany();
  const committed = Object.fromEntries(
    STREAM_NAMES.map((stream) => [stream, rows.find((r) => r.stream === stream)?.position ?? 0n]),
  ) as Record<StreamName, bigint>;
  await cache.advanceAll(committed);
  return committed;
}
