import type { Prisma } from '@lattice/storage';

interface SnapshotRow {
  snapshot_nid: bigint;
  parent_snapshot_nid: bigint | null;
  layer_depth: number;
  type_nids: number[];
  state_key_nids: number[];
  event_nids: bigint[];
}

/** A snapshot as `typeNid:stateKeyNid` -> event nid, assembled from its layers in one query. */
export async function readSnapshotNids(db: Prisma.TransactionClient, snapshotNid: bigint): Promise<Map<string, bigint>> {
  const layers = await db.$queryRawUnsafe<SnapshotRow[]>(
    `WITH RECURSIVE chain AS (
       SELECT * FROM state_snapshots WHERE snapshot_nid = $1
       UNION ALL SELECT s.* FROM state_snapshots s JOIN chain c ON s.snapshot_nid = c.parent_snapshot_nid
     ) SELECT * FROM chain ORDER BY layer_depth ASC`,
    snapshotNid,
  );
  const state = new Map<string, bigint>();
  for (const layer of layers) {
    layer.type_nids.forEach((t, i) => state.set(`${t}:${layer.state_key_nids[i]}`, BigInt(layer.event_nids[i])));
  }
  return state;
}
