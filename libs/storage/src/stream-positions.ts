import type { Prisma } from './generated/prisma/client';
import type { RawSql } from './sql-executor';

/** The streams sync tokens carry a position of, persisted in stream_positions and cached. */
export const STREAM_NAMES = [
  'events',
  'account_data',
  'receipts',
  'to_device',
  'device_lists',
  'presence',
  'notifications',
] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/**
 * Counters kept like streams but never in sync tokens: `backfill` counts
 * down the positions of history fetched from other servers (stored as its
 * negation, so older history sorts before everything this server had).
 */
export type CounterName = StreamName | 'backfill';

/**
 * Allocates `count` consecutive positions of a stream inside the caller's
 * transaction. The row stays locked until that transaction commits, so
 * positions become visible in order: a reader that sees position N has
 * every position below N. Returns the first allocated position.
 */
export async function allocateStreamPositions(tx: RawSql, stream: CounterName, count: number): Promise<bigint> {
  const rows = await tx.$queryRawUnsafe<Array<{ position: bigint }>>(allocationSql('$1', '$2'), stream, count);
  return firstAllocated(rows[0].position, count);
}

/**
 * allocateStreamPositions' statement, with the stream and the count as the
 * given parameters: for a caller that allocates within a statement of its
 * own (a CTE) to save a round trip. It returns the `position` allocated last.
 */
export function allocationSql(streamParam: string, countParam: string): string {
  return `INSERT INTO stream_positions (stream, position) VALUES (${streamParam}, ${countParam})
     ON CONFLICT (stream) DO UPDATE SET position = stream_positions.position + EXCLUDED.position
     RETURNING position`;
}

/** The first of `count` positions whose last is `last`. */
export function firstAllocated(last: bigint | number | string, count: number): bigint {
  return BigInt(last) - BigInt(count) + 1n;
}

/** The highest position of a stream that has been committed. */
export async function currentStreamPosition(db: Prisma.TransactionClient, stream: StreamName): Promise<bigint> {
  const row = await db.streamPosition.findUnique({ where: { stream } });
  return row?.position ?? 0n;
}
