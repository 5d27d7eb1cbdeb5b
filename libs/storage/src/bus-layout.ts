import type { PrismaClient } from './generated/prisma/client';

/** The deployment was set up with another partition count: starting would give rooms two writers. */
export class BusLayoutMismatch extends Error {
  constructor(recorded: number, configured: number) {
    super(
      `bus.partitions is ${configured} but this deployment was set up with ${recorded}: rooms are placed on partitions ` +
        `by a hash of their ID modulo the count, so changing it would move rooms to other writers while old ones still hold them. ` +
        `Keep bus.partitions at ${recorded}.`,
    );
  }
}

/**
 * Records the room-input partition count on first use and refuses another
 * one afterwards (the chart's pre-upgrade Job and every services-mode process
 * check it before using the bus).
 */
export async function checkBusPartitions(db: PrismaClient, partitions: number): Promise<void> {
  const rows = await db.$queryRawUnsafe<Array<{ partitions: number }>>(
    `INSERT INTO bus_layout (id, partitions) VALUES (1, $1)
     ON CONFLICT (id) DO UPDATE SET partitions = bus_layout.partitions
     RETURNING partitions`,
    partitions,
  );
  const recorded = Number(rows[0].partitions);
  if (recorded !== partitions) throw new BusLayoutMismatch(recorded, partitions);
}
