import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import {
  POSITION_CACHE,
  PRISMA,
  allocateStreamPositions,
  type PositionCache,
  type PrismaClient,
} from '@lattice/storage';

export interface AccountDataEntry {
  roomId: string;
  type: string;
  content: JsonObject;
}

/** Global (roomId "") and per-room account data, each write at a new account_data stream position. */
@Injectable()
export class AccountDataStore {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
  ) {}

  async put(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<bigint> {
    const committed = await this.db.$transaction(async (tx) => {
      const streamPos = await allocateStreamPositions(tx, 'account_data', 1);
      const json = JSON.stringify(content);
      await tx.accountData.upsert({
        where: { userId_roomId_type: { userId, roomId, type } },
        create: { userId, roomId, type, content: json, streamPos },
        update: { content: json, streamPos },
      });
      return streamPos;
    });
    await this.positions.advance('account_data', committed);
    return committed;
  }

  async get(userId: string, roomId: string, type: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.db.accountData.findUnique({ where: { userId_roomId_type: { userId, roomId, type } } });
    return row ? (JSON.parse(row.content) as Record<string, unknown>) : undefined;
  }

  /** Everything changed after `since` (everything when since is 0). */
  async since(userId: string, since: bigint, upTo: bigint): Promise<AccountDataEntry[]> {
    if (upTo <= since) return [];
    const rows = await this.db.accountData.findMany({ where: { userId, streamPos: { gt: since, lte: upTo } } });
    return rows.map((r) => ({ roomId: r.roomId, type: r.type, content: JSON.parse(r.content) as JsonObject }));
  }
}
