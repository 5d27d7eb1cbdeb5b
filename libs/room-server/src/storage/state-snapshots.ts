import { readSnapshotNids } from '@lattice/rooms';
import type { RawSql } from '@lattice/storage';

/** Layers a snapshot may sit on before a full copy is written: bounds the rows any read touches. */
const MAX_LAYER_DEPTH = 32;

/**
 * Writes the snapshot after setting (type, state key) to `eventNid`: a
 * one-entry layer over the parent, or a full copy once the chain would pass
 * MAX_LAYER_DEPTH. Returns the new snapshot's nid.
 */
export async function writeStateSnapshot(
  tx: RawSql,
  roomNid: number,
  parentNid: bigint | null,
  typeNid: number,
  stateKeyNid: number,
  eventNid: bigint,
): Promise<bigint> {
  if (parentNid !== null) {
    // The layer is written only when the parent is shallow enough, in the statement that reads its depth.
    const [layer] = await tx.$queryRawUnsafe<Array<{ snapshot_nid: bigint }>>(
      `INSERT INTO state_snapshots (room_nid, parent_snapshot_nid, layer_depth, type_nids, state_key_nids, event_nids)
       SELECT $1, snapshot_nid, layer_depth + 1, ARRAY[$3::int], ARRAY[$4::int], ARRAY[$5::bigint]
         FROM state_snapshots WHERE snapshot_nid = $2 AND layer_depth < $6
       RETURNING snapshot_nid`,
      roomNid,
      parentNid,
      typeNid,
      stateKeyNid,
      eventNid,
      MAX_LAYER_DEPTH,
    );
    if (layer) return BigInt(layer.snapshot_nid);
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
  tx: RawSql,
  roomNid: number,
  entries: Array<[number, number, bigint]>,
): Promise<bigint> {
  const [row] = await tx.$queryRawUnsafe<Array<{ snapshot_nid: bigint }>>(
    `INSERT INTO state_snapshots (room_nid, parent_snapshot_nid, layer_depth, type_nids, state_key_nids, event_nids)
     VALUES ($1, NULL, 0, $2::int[], $3::int[], $4::bigint[])
     RETURNING snapshot_nid`,
    roomNid,
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
    entries.map((e) => e[2]),
  );
  return BigInt(row.snapshot_nid);
}
