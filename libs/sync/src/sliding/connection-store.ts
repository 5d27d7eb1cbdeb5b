import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';
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
}

/**
 * Sliding sync connections in Postgres (sliding_sync_connections), so any
 * sync worker continues any connection. Each row keeps the state under the
 * latest `pos` and under the one before: until the client uses the latest,
 * it may not have received it (MSC4186 "Connections").
 */
@Injectable()
export class ConnectionStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The state a request with `pos` continues from; M_UNKNOWN_POS for a pos of another or a forgotten connection. */
  async continueFrom(key: ConnectionKey, token: string): Promise<Continued> {
    const pos = parsePos(token);
    const row = await this.db.slidingSyncConnection.findUnique({ where: { userId_deviceId_connId: key } });
    if (!row || row.generation !== pos.generation) throw unknownPos('no such connection');
    if (Date.now() - row.updatedAt.getTime() > CONNECTION_LIFETIME_MS) {
      await this.db.slidingSyncConnection.deleteMany({ where: { ...key, generation: row.generation } });
      throw unknownPos('the connection expired');
    }
    if (pos.counter === row.pos) return { pos, state: JSON.parse(row.state) as ConnectionState };
    if (pos.counter === row.prevPos && row.prevState !== null)
      return { pos, state: JSON.parse(row.prevState) as ConnectionState };
    throw unknownPos('an older position of the connection');
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

  /** A new connection under `key`, replacing any earlier one: its first `pos`. */
  async start(key: ConnectionKey, state: ConnectionState): Promise<string> {
    const pos = { generation: newGeneration(), counter: 1 };
    const data = {
      generation: pos.generation,
      pos: pos.counter,
      state: JSON.stringify(state),
      prevPos: null,
      prevState: null,
      updatedAt: new Date(),
    };
    await this.db.slidingSyncConnection.upsert({
      where: { userId_deviceId_connId: key },
      create: { ...key, ...data },
      update: data,
    });
    await this.dropLeastRecent(key);
    return formatPos(pos);
  }

  /**
   * The next `pos` after `from`: the new state becomes the latest, `from`'s
   * the previous (the client acknowledged everything before `from` by
   * sending it).
   */
  async advance(key: ConnectionKey, from: Continued, state: ConnectionState): Promise<string> {
    const row = await this.db.slidingSyncConnection.findUnique({
      where: { userId_deviceId_connId: key },
      select: { pos: true },
    });
    const next = { generation: from.pos.generation, counter: Math.max(row?.pos ?? 0, from.pos.counter) + 1 };
    await this.db.slidingSyncConnection.updateMany({
      where: { ...key, generation: from.pos.generation },
      data: {
        pos: next.counter,
        state: JSON.stringify(state),
        prevPos: from.pos.counter,
        prevState: JSON.stringify(from.state),
        updatedAt: new Date(),
      },
    });
    return formatPos(next);
  }

  /** Keeps an unchanged connection alive without a new position. */
  async touch(key: ConnectionKey): Promise<void> {
    await this.db.slidingSyncConnection.updateMany({ where: key, data: { updatedAt: new Date() } });
  }

  private async dropLeastRecent(key: ConnectionKey): Promise<void> {
    const rows = await this.db.slidingSyncConnection.findMany({
      where: { userId: key.userId, deviceId: key.deviceId },
      orderBy: { updatedAt: 'desc' },
      skip: CONNECTIONS_PER_DEVICE,
      select: { connId: true },
    });
    if (rows.length)
      await this.db.slidingSyncConnection.deleteMany({
        where: { userId: key.userId, deviceId: key.deviceId, connId: { in: rows.map((r) => r.connId) } },
      });
  }
}
