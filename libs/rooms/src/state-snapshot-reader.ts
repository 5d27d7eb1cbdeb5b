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
export async function readSnapshotNids(
  db: Prisma.TransactionClient,
  snapshotNid: bigint,
): Promise<Map<string, bigint>> {
  return (await readSnapshotsNids(db, [snapshotNid])).get(snapshotNid)!;
}

/** readSnapshotNids() for many snapshots in one query: each snapshot's map, by its nid. */
export async function readSnapshotsNids(
  db: Prisma.TransactionClient,
  snapshotNids: bigint[],
): Promise<Map<bigint, Map<string, bigint>>> {
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

/**
 * readSnapshotsNids() keeping, of the members' entries (type `memberTypeNid`), only the state keys `keep`
 * names for each snapshot: the layers are merged and filtered in the database, so a snapshot of thousands
 * of members sends a handful of entries (lazy-loaded members).
 */
export async function readSnapshotsNidsWithMembers(
  db: Prisma.TransactionClient,
  snapshotNids: bigint[],
  memberTypeNid: number,
  keep: Array<{ snapshotNid: bigint; stateKeyNid: number }>,
): Promise<Map<bigint, Map<string, bigint>>> {
  const states = new Map<bigint, Map<string, bigint>>(snapshotNids.map((nid) => [nid, new Map()]));
  if (snapshotNids.length === 0) return states;
  const entries = await db.$queryRawUnsafe<Array<{ root: bigint; t: number; k: number; e: bigint }>>(
    `WITH RECURSIVE chain AS (
       SELECT s.snapshot_nid, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids, s.snapshot_nid AS root
         FROM state_snapshots s WHERE s.snapshot_nid = ANY($1::bigint[])
       UNION ALL SELECT s.snapshot_nid, s.parent_snapshot_nid, s.layer_depth, s.type_nids, s.state_key_nids, s.event_nids, c.root
         FROM state_snapshots s JOIN chain c ON s.snapshot_nid = c.parent_snapshot_nid
     ), kept AS (SELECT * FROM unnest($3::bigint[], $4::int[]) AS k(root, k))
     -- The deepest layer's entry for each key wins, as in readSnapshotsNids.
     SELECT DISTINCT ON (c.root, u.t, u.k) c.root, u.t, u.k, u.e
       FROM chain c, unnest(c.type_nids, c.state_key_nids, c.event_nids) AS u(t, k, e)
      -- IN over an uncorrelated list: one hash of it, not a scan of it per entry.
      WHERE u.t <> $2 OR (c.root, u.k) IN (SELECT root, k FROM kept)
      ORDER BY c.root, u.t, u.k, c.layer_depth DESC`,
    snapshotNids,
    memberTypeNid,
    keep.map((k) => k.snapshotNid),
    keep.map((k) => k.stateKeyNid),
  );
  for (const entry of entries) states.get(BigInt(entry.root))!.set(`${entry.t}:${entry.k}`, BigInt(entry.e));
  return states;
}
