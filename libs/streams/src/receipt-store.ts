import { allocateStreamPositions, type PositionCache, type PrismaClient } from '@lattice/storage';

export interface ReceiptRow {
  roomId: string;
  receiptType: string;
  userId: string;
  threadId: string;
  eventId: string;
  ts: bigint;
}

/** Read receipts (client-server-api "Receipts"), one per (room, type, user, thread), each write a new receipts position. */
export class ReceiptStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly positions: PositionCache,
  ) {}

  async put(receipt: Omit<ReceiptRow, 'ts'>): Promise<bigint> {
    const committed = await this.db.$transaction(async (tx) => {
      const streamPos = await allocateStreamPositions(tx, 'receipts', 1);
      const key = { roomId: receipt.roomId, receiptType: receipt.receiptType, userId: receipt.userId, threadId: receipt.threadId };
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
  async ephemeral(roomId: string, viewer: string, since: bigint, upTo: bigint): Promise<Record<string, unknown> | undefined> {
    if (upTo <= since) return undefined;
    const rows = await this.db.receipt.findMany({ where: { roomId, streamPos: { gt: since, lte: upTo } } });
    const visible = rows.filter((r) => r.receiptType !== 'm.read.private' || r.userId === viewer);
    if (visible.length === 0) return undefined;
    const content: Record<string, Record<string, Record<string, object>>> = {};
    for (const r of visible) {
      const byType = (content[r.eventId] ??= {});
      (byType[r.receiptType] ??= {})[r.userId] = { ts: Number(r.ts), ...(r.threadId ? { thread_id: r.threadId } : {}) };
    }
    return content;
  }
}
