import { readSnapshotNids } from '@lattice/rooms';
import type { Prisma } from '@lattice/storage';

/** Layers a snapshot may sit on before a full copy is written: bounds the rows any read touches. */
const MAX_LAYER_DEPTH = 32;

/**
 * Writes the snapshot after setting (type, state key) to `eventNid`: a
 * one-entry layer over the parent, or a full copy once the chain would pass
 * MAX_LAYER_DEPTH. Returns the new snapshot's nid.
 */
export async function writeStateSnapshot(
  tx: Prisma.TransactionClient,
  roomNid: number,
  parentNid: bigint | null,
  typeNid: number,
  stateKeyNid: number,
  eventNid: bigint,
): Promise<bigint> {
  const parentDepth =
    parentNid === null
      ? -1
      : Number(
          (await tx.stateSnapshot.findUnique({ where: { snapshotNid: parentNid }, select: { layerDepth: true } }))!
            .layerDepth,
        );
  if (parentNid !== null && parentDepth + 1 <= MAX_LAYER_DEPTH) {
    const row = await tx.stateSnapshot.create({
      data: {
        roomNid,
        parentSnapshotNid: parentNid,
        layerDepth: parentDepth + 1,
        typeNids: [typeNid],
        stateKeyNids: [stateKeyNid],
        eventNids: [eventNid],
      },
    });
    return row.snapshotNid;
  }
  const full = parentNid === null ? new Map<string, bigint>() : await readSnapshotNids(tx, parentNid);
  full.set(`${typeNid}:${stateKeyNid}`, eventNid);
  return writeFullSnapshot(
    tx,
    roomNid,
    [...full.entries()].map(([k, e]) => [...k.split(':').map(Number), e] as [number, number, bigint]),
  );
}

/** Writes a snapshot holding exactly these (type nid, state key nid, event nid) entries. Returns its nid. */
export async function writeFullSnapshot(
  tx: Prisma.TransactionClient,
  roomNid: number,
  entries: Array<[number, number, bigint]>,
): Promise<bigint> {
  const row = await tx.stateSnapshot.create({
    data: {
      roomNid,
      parentSnapshotNid: null,
      layerDepth: 0,
      typeNids: entries.map((e) => e[0]),
      stateKeyNids: entries.map((e) => e[1]),
      eventNids: entries.map((e) => e[2]),
    },
  });
  return row.snapshotNid;
}
