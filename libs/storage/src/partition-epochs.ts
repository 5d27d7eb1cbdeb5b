import type { PrismaClient } from './generated/prisma/client';

/**
 * Takes the next writer epoch of a room-input partition, for a process that
 * has just won the partition's lease. Epochs come from Postgres, not from the
 * lease store, so they keep growing even if the bus is rebuilt from scratch.
 */
export async function claimPartitionEpoch(db: PrismaClient, partition: number, owner: string): Promise<bigint> {
  const rows = await db.$queryRawUnsafe<Array<{ epoch: bigint }>>(
    `INSERT INTO partition_epochs (partition, epoch, owner) VALUES ($1, 1, $2)
     ON CONFLICT (partition) DO UPDATE SET epoch = partition_epochs.epoch + 1, owner = EXCLUDED.owner, acquired_at = now()
     RETURNING epoch`,
    partition,
    owner,
  );
  return BigInt(rows[0].epoch);
}
