import { Inject, Injectable } from '@nestjs/common';
import {
  POSITION_CACHE,
  PRISMA,
  allocateStreamPositions,
  type PositionCache,
  type PrismaClient,
} from '@lattice/storage';

export interface ReceiptRow {
  roomId: string;
  receiptType: string;
  userId: string;
  threadId: string;
  eventId: string;
  ts: bigint;
}

/** Read receipts (client-server-api "Receipts"), one per (room, type, user, thread), each write a new receipts position. */
@Injectable()
export class ReceiptStore {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
  ) {}

  async put(receipt: Omit<ReceiptRow, 'ts'>): Promise<bigint> {
    const committed = await this.db.$transaction(async (tx) => {
      const streamPos = await allocateStreamPositions(tx, 'receipts', 1);
      const key = {
        roomId: receipt.roomId,
        receiptType: receipt.receiptType,
        userId: receipt.userId,
        threadId: receipt.threadId,
      };
      const ts = BigInt(Date.now());
      await tx.receipt.upsert({
        where: { roomId_receiptType_userId_threadId: key },
        create: { ...key, eventId: receipt.eventId, ts, streamPos },
        update: { eventId: receipt.eventId, ts, streamPos },
      });
      return streamPos;
    });
    await this.positions.advance('receipts', committed);
    return committed;
  }

  /**
   * The m.receipt EDU content of a room's receipts changed after `since`
   * (client-server-api m.receipt): event -> type -> user -> {ts, thread_id}.
   * m.read.private is only shown to its owner.
   */
  async ephemeral(
    roomId: string,
    viewer: string,
    since: bigint,
    upTo: bigint,
  ): Promise<Record<string, unknown> | undefined> {
    return (await this.ephemeralOfRooms([roomId], viewer, since, upTo)).get(roomId);
  }

  /** ephemeral() for many rooms in one read: only rooms with receipts to show are in the map. */
  async ephemeralOfRooms(
    roomIds: string[],
    viewer: string,
    since: bigint,
    upTo: bigint,
  ): Promise<Map<string, Record<string, unknown>>> {
    const contents = new Map<string, Record<string, Record<string, Record<string, object>>>>();
    if (upTo <= since || roomIds.length === 0) return contents;
    const rows = await this.db.receipt.findMany({
      where: { roomId: { in: roomIds }, streamPos: { gt: since, lte: upTo } },
    });
    for (const r of rows) {
      if (r.receiptType === 'm.read.private' && r.userId !== viewer) continue;
      const content = contents.get(r.roomId) ?? contents.set(r.roomId, {}).get(r.roomId)!;
      const byUser = ((content[r.eventId] ??= {})[r.receiptType] ??= {});
      // A user's unthreaded and threaded receipts on one event share this one slot: the unthreaded one wins, as it
      // covers the thread too (MSC4102, which Synapse follows); a client would otherwise miss it.
      if (r.threadId && byUser[r.userId] && !('thread_id' in byUser[r.userId])) continue;
      byUser[r.userId] = { ts: Number(r.ts), ...(r.threadId ? { thread_id: r.threadId } : {}) };
    }
    return contents;
  }
}
