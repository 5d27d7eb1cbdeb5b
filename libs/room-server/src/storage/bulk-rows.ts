import type { Prisma } from '@lattice/storage';

/**
 * The multi-row writes of the persist transaction, as raw SQL over
 * unnest(): one statement text however many rows, so Postgres and Prisma
 * see the same query every time. Prisma's createMany compiles a fresh query
 * plan on every call (it never caches them); under load that compiling was
 * over a third of the room-server's CPU.
 */

/** An events row as persist writes it (events placed in the DAG; outliers are written elsewhere). */
export interface EventRow {
  eventId: string;
  roomNid: number;
  typeNid: number;
  stateKeyNid: number | null;
  sender: string;
  depth: bigint;
  originServerTs: bigint;
  /** None for rejected and soft-failed events: clients never see them. */
  streamPos: bigint | null;
  stateSnapshotNid: bigint | null;
  isRejected: boolean;
  rejectionReason: string | null;
  isSoftFailed: boolean;
  redacts: string | null;
  txnId: string | null;
  senderDeviceId: string | null;
}

/** Inserts events; returns each one's nid by event ID. */
export async function insertEvents(tx: Prisma.TransactionClient, rows: EventRow[]): Promise<Map<string, bigint>> {
  if (rows.length === 0) return new Map();
  const inserted = await tx.$queryRawUnsafe<Array<{ event_id: string; event_nid: bigint }>>(
    `INSERT INTO events (event_id, room_nid, type_nid, state_key_nid, sender, depth, origin_server_ts, stream_pos, state_snapshot_nid, redacts, txn_id, sender_device_id, is_rejected, rejection_reason, is_soft_failed)
     SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[], $13::boolean[], $14::text[], $15::boolean[])
     RETURNING event_id, event_nid`,
    rows.map((r) => r.eventId),
    rows.map((r) => r.roomNid),
    rows.map((r) => r.typeNid),
    rows.map((r) => r.stateKeyNid),
    rows.map((r) => r.sender),
    rows.map((r) => r.depth),
    rows.map((r) => r.originServerTs),
    rows.map((r) => r.streamPos),
    rows.map((r) => r.stateSnapshotNid),
    rows.map((r) => r.redacts),
    rows.map((r) => r.txnId),
    rows.map((r) => r.senderDeviceId),
    rows.map((r) => r.isRejected),
    rows.map((r) => r.rejectionReason),
    rows.map((r) => r.isSoftFailed),
  );
  return new Map(inserted.map((r) => [r.event_id, BigInt(r.event_nid)]));
}

export async function insertEventJson(tx: Prisma.TransactionClient, rows: Array<{ eventNid: bigint; json: string }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO event_json (event_nid, json) SELECT * FROM unnest($1::bigint[], $2::text[])',
    rows.map((r) => r.eventNid),
    rows.map((r) => r.json),
  );
}

/** prev_events edges; an edge already stored is kept. */
export async function insertPrevEdges(tx: Prisma.TransactionClient, rows: Array<{ eventNid: bigint; prevEventId: string }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO event_edges (event_nid, prev_event_id) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING',
    rows.map((r) => r.eventNid),
    rows.map((r) => r.prevEventId),
  );
}

/** auth_events edges; an edge already stored is kept. */
export async function insertAuthEdges(tx: Prisma.TransactionClient, rows: Array<{ eventNid: bigint; authEventId: string }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO event_auth_edges (event_nid, auth_event_id) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING',
    rows.map((r) => r.eventNid),
    rows.map((r) => r.authEventId),
  );
}

export async function insertTransactionIds(tx: Prisma.TransactionClient, rows: Array<{ userId: string; deviceId: string; txnId: string; eventId: string }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO txn_ids (user_id, device_id, txn_id, event_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])',
    rows.map((r) => r.userId),
    rows.map((r) => r.deviceId),
    rows.map((r) => r.txnId),
    rows.map((r) => r.eventId),
  );
}

/** Replaces the forward extremities of the given rooms with `rows`. */
export async function replaceForwardExtremities(tx: Prisma.TransactionClient, roomNids: number[], rows: Array<{ roomNid: number; eventNid: bigint }>): Promise<void> {
  if (roomNids.length === 0) return;
  await tx.$executeRawUnsafe('DELETE FROM forward_extremities WHERE room_nid = ANY($1::int[])', roomNids);
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO forward_extremities (room_nid, event_nid) SELECT * FROM unnest($1::int[], $2::bigint[])',
    rows.map((r) => r.roomNid),
    rows.map((r) => r.eventNid),
  );
}

export async function insertProcessedInputs(tx: Prisma.TransactionClient, rows: Array<{ inputId: string; reply: string }>): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRawUnsafe(
    'INSERT INTO processed_inputs (input_id, reply) SELECT * FROM unnest($1::text[], $2::text[])',
    rows.map((r) => r.inputId),
    rows.map((r) => r.reply),
  );
}
