import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { cacheKey, CONNECTION_CACHE, type CachedConnection, type ConnectionCache } from './connection-cache';
import { formatPos, newGeneration, parsePos, unknownPos, type ConnectionState, type Pos } from './connection-state';

/** A connection unused this long is forgotten: its `pos` is M_UNKNOWN_POS and the client starts over. */
const CONNECTION_LIFETIME_MS = 7 * 24 * 3600_000;
/** MSC4186 "Security considerations": a device's connections are bounded; the least recently used go first. */
const CONNECTIONS_PER_DEVICE = 10;

export interface ConnectionKey {
  userId: string;
  deviceId: string;
  connId: string;
}

/** A connection as a request continues it: the state under the `pos` it gave. */
export interface Continued {
  pos: Pos;
  state: ConnectionState;
  /** When the connection was last written or kept alive (ms since the epoch). */
  updatedAt: number;
}

/** An unchanged connection is kept alive at most this often (a write per empty long-poll would be waste). */
const TOUCH_INTERVAL_MS = 3600_000;

/**
 * Sliding sync connections in Postgres (sliding_sync_connections), so any
 * sync worker continues any connection, with a cache in front (Redis in
 * services mode, memory in one process): continuing a connection reads the
 * cache, and only a miss, or a `pos` the cached entry does not know, reads
 * Postgres. Each row keeps the state under the latest `pos` and under the
 * one before: until the client uses the latest, it may not have received it
 * (MSC4186 "Connections").
 */
@Injectable()
export class ConnectionStore {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(CONNECTION_CACHE) private readonly cache: ConnectionCache,
  ) {}

  /** The state a request with `pos` continues from; M_UNKNOWN_POS for a pos of another or a forgotten connection. */
  async continueFrom(key: ConnectionKey, token: string): Promise<Continued> {
    const pos = parsePos(token);
    const cached = await this.cache.get(cacheKey(key));
    const fromCache = cached && !expired(cached) ? stateUnder(cached, pos) : undefined;
    if (fromCache) return { pos, state: fromCache, updatedAt: cached!.updatedAt };

    const found = await this.db.slidingSyncConnection.findUnique({ where: { userId_deviceId_connId: key } });
    if (!found || found.generation !== pos.generation) throw unknownPos('no such connection');
    const row: CachedConnection = { ...found, updatedAt: found.updatedAt.getTime() };
    if (expired(row)) {
      await this.db.slidingSyncConnection.deleteMany({ where: { ...key, generation: row.generation } });
      await this.cache.delete([cacheKey(key)]);
      throw unknownPos('the connection expired');
    }
    await this.cache.set(cacheKey(key), row);
    const state = stateUnder(row, pos);
    if (!state) throw unknownPos('an older position of the connection');
    return { pos, state, updatedAt: row.updatedAt };
  }

  /** A new connection under `key`, replacing any earlier one: its first `pos`. */
  async start(key: ConnectionKey, state: ConnectionState): Promise<string> {
    const row: CachedConnection = {
      generation: newGeneration(),
      pos: 1,
      state: JSON.stringify(state),
      prevPos: null,
      prevState: null,
      updatedAt: Date.now(),
    };
    const data = { ...row, updatedAt: new Date(row.updatedAt) };
    await this.db.slidingSyncConnection.upsert({
      where: { userId_deviceId_connId: key },
      create: { ...key, ...data },
      update: data,
    });
    await this.cache.set(cacheKey(key), row);
    await this.dropLeastRecent(key);
    return formatPos({ generation: row.generation, counter: row.pos });
  }

  /**
   * The next `pos` after `from`: the new state becomes the latest, `from`'s
   * the previous (the client acknowledged everything before `from` by
   * sending it). One statement, so two requests of a connection at once
   * cannot hand out the same `pos`.
   */
  async advance(key: ConnectionKey, from: Continued, state: ConnectionState): Promise<string> {
    const row: Omit<CachedConnection, 'pos'> = {
      generation: from.pos.generation,
      state: JSON.stringify(state),
      prevPos: from.pos.counter,
      prevState: JSON.stringify(from.state),
      updatedAt: Date.now(),
    };
    // Committed without waiting for the disk (synchronous_commit off, for this statement's transaction only): a
    // crash may lose the last advances, and a client then told M_UNKNOWN_POS starts over (MSC4186 "Connections"),
    // which loses nothing, as what a connection remembers is only what it sent. The wait is most of an answer's.
    const [advanced] = await this.db.$queryRaw<Array<{ pos: number }>>`
      UPDATE sliding_sync_connections
         SET pos = GREATEST(pos, ${from.pos.counter}) + 1, state = ${row.state}, prev_pos = ${row.prevPos},
             prev_state = ${row.prevState}, updated_at = ${new Date(row.updatedAt)}
        FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
       WHERE user_id = ${key.userId} AND device_id = ${key.deviceId} AND conn_id = ${key.connId}
         AND generation = ${row.generation}
      RETURNING pos`;
    if (!advanced) {
      await this.cache.delete([cacheKey(key)]);
      throw unknownPos('the connection was replaced or dropped');
    }
    await this.cache.set(cacheKey(key), { ...row, pos: advanced.pos });
    return formatPos({ generation: row.generation, counter: advanced.pos });
  }

  /** Keeps an unchanged connection alive without a new position (at most once per TOUCH_INTERVAL_MS). */
  async touch(key: ConnectionKey, from: Continued): Promise<void> {
    if (Date.now() - from.updatedAt < TOUCH_INTERVAL_MS) return;
    const updatedAt = new Date();
    await this.db.slidingSyncConnection.updateMany({
      where: { ...key, generation: from.pos.generation },
      data: { updatedAt },
    });
    // The next request reads the row again, with its new time.
    await this.cache.delete([cacheKey(key)]);
  }

  /**
   * The sync token of the answer that gave `token`, a `pos` of one of the
   * device's connections (whichever conn_id): MSC4360's /thread_updates
   * takes the `pos` of a sliding sync request as its `to`.
   */
  async sinceOf(userId: string, deviceId: string, token: string): Promise<string> {
    const pos = parsePos(token);
    const rows = await this.db.slidingSyncConnection.findMany({
      where: { userId, deviceId, generation: pos.generation },
      select: { pos: true, state: true, prevPos: true, prevState: true },
    });
    for (const row of rows) {
      const state = pos.counter === row.pos ? row.state : pos.counter === row.prevPos ? row.prevState : null;
      if (state !== null) return (JSON.parse(state) as ConnectionState).since;
    }
    throw unknownPos('not a position of this device');
  }

  private async dropLeastRecent(key: ConnectionKey): Promise<void> {
    const rows = await this.db.slidingSyncConnection.findMany({
      where: { userId: key.userId, deviceId: key.deviceId },
      orderBy: { updatedAt: 'desc' },
      skip: CONNECTIONS_PER_DEVICE,
      select: { connId: true },
    });
    if (rows.length === 0) return;
    await this.db.slidingSyncConnection.deleteMany({
      where: { userId: key.userId, deviceId: key.deviceId, connId: { in: rows.map((r) => r.connId) } },
    });
    await this.cache.delete(rows.map((r) => cacheKey({ ...key, connId: r.connId })));
  }
}

function expired(row: CachedConnection): boolean {
  return Date.now() - row.updatedAt > CONNECTION_LIFETIME_MS;
}

/** The state under `pos`, if the row keeps it: the latest or the one before. */
function stateUnder(row: CachedConnection, pos: Pos): ConnectionState | undefined {
  if (row.generation !== pos.generation) return undefined;
  if (pos.counter === row.pos) return JSON.parse(row.state) as ConnectionState;
  if (pos.counter === row.prevPos && row.prevState !== null) return JSON.parse(row.prevState) as ConnectionState;
  return undefined;
}
