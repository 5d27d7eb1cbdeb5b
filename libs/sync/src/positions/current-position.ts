import { reconcilePositions, STREAM_NAMES, type PositionCache, type PrismaClient } from '@lattice/storage';
import type { SyncPosition } from '@lattice/streams';
import type { TypingStore } from '../streams/typing-store';

/**
 * The current position of every stream. Persisted streams come from the
 * position cache when it holds them, else from stream_positions, whose rows
 * advance only when the writing transaction commits: everything at or below
 * the position is readable either way.
 */
export async function currentPosition(
  db: PrismaClient,
  cache: PositionCache,
  typing: TypingStore,
): Promise<SyncPosition> {
  const cached = await cache.read();
  const known = STREAM_NAMES.every((stream) => cached[stream] !== undefined);
  const positions = known ? (cached as Required<typeof cached>) : await reconcilePositions(db, cache);
  return {
    events: positions.events,
    accountData: positions.account_data,
    receipts: positions.receipts,
    typing: typing.currentPosition,
    toDevice: positions.to_device,
    deviceLists: positions.device_lists,
    presence: positions.presence,
    notifications: positions.notifications,
  };
}
