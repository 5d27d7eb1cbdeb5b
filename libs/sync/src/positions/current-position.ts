import type { PrismaClient } from '@lattice/storage';
import type { TypingStore } from '../streams/typing-store';
import type { SyncPosition } from './sync-token';

/**
 * The current position of every stream. The persisted streams are read from
 * stream_positions, whose rows advance only when the writing transaction
 * commits, so everything at or below the position is readable.
 */
export async function currentPosition(db: PrismaClient, typing: TypingStore): Promise<SyncPosition> {
  const rows = await db.streamPosition.findMany();
  const of = (stream: string) => rows.find((r) => r.stream === stream)?.position ?? 0n;
  return { events: of('events'), accountData: of('account_data'), receipts: of('receipts'), typing: typing.currentPosition };
}
