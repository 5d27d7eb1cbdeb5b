import { getRoomVersion, stateKey, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { PrismaClient } from '@lattice/storage';

/** A state entry of a room as the writer keeps it. */
export interface StateEntry {
  eventId: string;
  eventNid: bigint;
  pdu: Pdu;
}

/** What the room-server holds of a room while it writes to it. */
export interface RoomHead {
  roomNid: number;
  roomId: string;
  version: RoomVersion;
  /** Current state by stateKey(type, state_key). */
  state: Map<string, StateEntry>;
  /** Forward extremities: the prev_events of the next event. */
  extremities: Extremity[];
  snapshotNid: bigint | null;
  /** Joined through a partial-state join whose full state is still being fetched (rooms.is_partial_state). */
  partialState: boolean;
}

/** A partial-state join's bookkeeping (partial_state_rooms): what the resync needs. */
export interface PartialJoin {
  joinEventId: string;
  servers: string[];
}

/** A forward extremity; its content hash is what v1/v2 prev_events references carry. */
export interface Extremity {
  eventId: string;
  eventNid: bigint;
  depth: number;
  sha256: string;
}

/**
 * A room's head (current state and forward extremities), or undefined for a
 * room this server does not have. The room-server writes on top of it; the
 * federation-api reads it to offer join templates.
 */
export async function loadRoomHead(db: PrismaClient, roomId: string): Promise<RoomHead | undefined> {
  const room = await db.room.findUnique({ where: { roomId } });
  if (!room) return undefined;
  const stateRows = await db.$queryRawUnsafe<Array<{ event_nid: bigint; event_id: string; json: string }>>(
    `SELECT e.event_nid, e.event_id, j.json FROM current_state c
     JOIN events e ON e.event_nid = c.event_nid JOIN event_json j ON j.event_nid = c.event_nid
     WHERE c.room_nid = $1`,
    room.roomNid,
  );
  const state = new Map<string, StateEntry>();
  for (const row of stateRows) {
    const pdu = JSON.parse(row.json) as Pdu;
    state.set(stateKey(pdu.type, pdu.state_key!), { eventId: row.event_id, eventNid: BigInt(row.event_nid), pdu });
  }
  const extremities = await db.$queryRawUnsafe<
    Array<{ event_nid: bigint; event_id: string; depth: bigint; json: string }>
  >(
    `SELECT e.event_nid, e.event_id, e.depth, j.json FROM forward_extremities f
     JOIN events e ON e.event_nid = f.event_nid JOIN event_json j ON j.event_nid = f.event_nid WHERE f.room_nid = $1`,
    room.roomNid,
  );
  return {
    roomNid: room.roomNid,
    roomId,
    version: getRoomVersion(room.roomVersion),
    state,
    extremities: extremities.map((x) => ({
      eventId: x.event_id,
      eventNid: BigInt(x.event_nid),
      depth: Number(x.depth),
      sha256: (JSON.parse(x.json) as Pdu).hashes.sha256,
    })),
    snapshotNid: room.stateSnapshotNid,
    partialState: room.isPartialState,
  };
}
