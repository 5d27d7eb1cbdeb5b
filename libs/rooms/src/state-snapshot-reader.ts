import type { RawSql } from '@lattice/storage';

interface SnapshotRow {
  snapshot_nid: bigint;
  parent_snapshot_nid: bigint | null;
  layer_depth: number;
  type_nids: number[];
  state_key_nids: number[];
  event_nids: bigint[];
}

/** A snapshot as `typeNid:stateKeyNid` -> event nid, assembled from its layers in one query. */
export async function readSnapshotNids(db: RawSql, snapshotNid: bigint): Promise<Map<string, bigint>> {
  return (await readSnapshotsNids(db, [snapshotNid])).get(snapshotNid)!;
}

/** readSnapshotNids() for many snapshots in one query: each snapshot's map, by its nid. */
export async function readSnapshotsNids(db: RawSql, snapshotNids: bigint[]): Promise<Map<bigint, Map<string, bigint>>> {
  const states = new Map<bigint, Map<string, bigint>>(snapshotNids.map((nid) => [nid, new Map()]));
  if (snapshotNids.length === 0) return states;
  const layers = await db.$queryRawUnsafe<Array<SnapshotRow & { root: bigint }>>(
    `WITH RECURSIVE chain AS (
       SELECT s.*, s.snapshot_nid AS root FROM state_snapshots s WHERE s.snapshot_nid = ANY($1::bigint[])
       UNION ALL SELECT s.*, c.root FROM state_snapshots s JOIN chain c ON s.snapshot_nid = c.parent_snapshot_nid
     ) SELECT * FROM chain ORDER BY root, layer_depth ASC`,
    snapshotNids,
  );
  for (const layer of layers) {
    const state = states.get(BigInt(layer.root))!;
    layer.type_nids.forEach((t, i) => state.set(`${t}:${layer.state_key_nids[i]}`, BigInt(layer.event_nids[i])));
  }
  return states;
}
