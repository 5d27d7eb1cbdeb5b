import { getRoomVersion, referencedIds, stateKey, type Pdu, type RoomVersion } from '@lattice/protocol';
import { allocateStreamPositions, type Prisma, type PrismaClient } from '@lattice/storage';
import { NidInterner } from './interning';
import { writeStateSnapshot } from './state-snapshots';

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
}

/** A forward extremity; its content hash is what v1/v2 prev_events references carry. */
export interface Extremity {
  eventId: string;
  eventNid: bigint;
  depth: number;
  sha256: string;
}

/** An event to persist, already built, signed and authorised. */
export interface NewEvent {
  eventId: string;
  pdu: Pdu;
  txn?: { userId: string; deviceId: string; txnId: string };
}

export interface PersistedEvent {
  eventId: string;
  eventNid: bigint;
  streamPos: bigint;
}

/** Thrown when a writer whose lease is older than the room's last writer tries to write. */
export class FencedWriteError extends Error {
  constructor(roomId: string) {
    super(`Write to ${roomId} refused: this writer's lease epoch is stale`);
  }
}

/** Thrown when the room changed since its head was loaded: some other writer persisted in between. */
export class StaleHeadError extends Error {
  constructor(readonly roomId: string) {
    super(`The cached head of ${roomId} is stale`);
  }
}

/**
 * The room-server's storage: rooms, events, DAG edges, state snapshots and
 * current state. Only the room-server writes these tables.
 */
export class RoomStore {
  private readonly nids: NidInterner;

  constructor(private readonly db: PrismaClient) {
    this.nids = new NidInterner(db);
  }

  async createRoom(roomId: string, version: RoomVersion): Promise<RoomHead> {
    const row = await this.db.room.create({ data: { roomId, roomVersion: version.id } });
    return { roomNid: row.roomNid, roomId, version, state: new Map(), extremities: [], snapshotNid: null };
  }

  /** Loads a room's head (current state and extremities), or undefined for a room this server does not have. */
  async loadRoom(roomId: string): Promise<RoomHead | undefined> {
    const room = await this.db.room.findUnique({ where: { roomId } });
    if (!room) return undefined;
    const stateRows = await this.db.$queryRawUnsafe<Array<{ event_nid: bigint; event_id: string; json: string }>>(
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
    const extremities = await this.db.$queryRawUnsafe<Array<{ event_nid: bigint; event_id: string; depth: bigint; json: string }>>(
      `SELECT e.event_nid, e.event_id, e.depth, j.json FROM forward_extremities f
       JOIN events e ON e.event_nid = f.event_nid JOIN event_json j ON j.event_nid = f.event_nid WHERE f.room_nid = $1`,
      room.roomNid,
    );
    return {
      roomNid: room.roomNid,
      roomId,
      version: getRoomVersion(room.roomVersion),
      state,
      extremities: extremities.map((x) => ({ eventId: x.event_id, eventNid: BigInt(x.event_nid), depth: Number(x.depth), sha256: (JSON.parse(x.json) as Pdu).hashes.sha256 })),
      snapshotNid: room.stateSnapshotNid,
    };
  }

  /** The event a client transaction already produced, for idempotent PUT /send. */
  async eventForTransaction(userId: string, deviceId: string, txnId: string): Promise<string | undefined> {
    const row = await this.db.transactionId.findUnique({ where: { userId_deviceId_txnId: { userId, deviceId, txnId } } });
    return row?.eventId;
  }

  /** The reply recorded for an input that was already applied. */
  async processedReply(inputId: string): Promise<string | undefined> {
    return (await this.db.processedInput.findUnique({ where: { inputId } }))?.reply;
  }

  /**
   * Persists events of one room in one transaction, in order, and advances
   * the head: the room row is locked and the writer's epoch checked first
   * (fencing), stream positions are allocated inside the transaction so they
   * become visible in order. On success `head` is updated in place.
   */
  async persist(head: RoomHead, events: NewEvent[], options: { epoch: bigint; inputId?: string; reply?: string }): Promise<PersistedEvent[]> {
    const typeNids = await Promise.all(events.map((e) => this.nids.typeNid(e.pdu.type)));
    const keyNids = await Promise.all(events.map((e) => (e.pdu.state_key === undefined ? undefined : this.nids.stateKeyNid(e.pdu.state_key))));

    return this.db.$transaction(async (tx) => {
      await this.fence(tx, head, options.epoch);
      const firstPos = await allocateStreamPositions(tx, 'events', events.length);
      const persisted: PersistedEvent[] = [];
      let snapshotNid = head.snapshotNid;
      const state = new Map(head.state);
      let extremities = head.extremities;

      for (const [i, event] of events.entries()) {
        const pdu = event.pdu;
        const streamPos = firstPos + BigInt(i);
        const row = await tx.event.create({
          data: {
            eventId: event.eventId,
            roomNid: head.roomNid,
            typeNid: typeNids[i],
            stateKeyNid: keyNids[i] ?? null,
            sender: pdu.sender,
            depth: BigInt(pdu.depth),
            originServerTs: BigInt(pdu.origin_server_ts),
            streamPos,
            stateSnapshotNid: snapshotNid,
            redacts: redactsOf(head.version, pdu) ?? null,
            txnId: event.txn?.txnId ?? null,
            senderDeviceId: event.txn?.deviceId ?? null,
          },
          select: { eventNid: true },
        });
        await tx.eventJson.create({ data: { eventNid: row.eventNid, json: JSON.stringify(pdu) } });
        const prev = referencedIds(pdu.prev_events);
        const auth = referencedIds(pdu.auth_events);
        if (prev.length) await tx.eventEdge.createMany({ data: prev.map((p) => ({ eventNid: row.eventNid, prevEventId: p })), skipDuplicates: true });
        if (auth.length) await tx.eventAuthEdge.createMany({ data: auth.map((a) => ({ eventNid: row.eventNid, authEventId: a })), skipDuplicates: true });
        if (event.txn) await tx.transactionId.create({ data: { ...event.txn, eventId: event.eventId } });

        if (pdu.state_key !== undefined) {
          snapshotNid = await writeStateSnapshot(tx, head.roomNid, snapshotNid, typeNids[i], keyNids[i]!, row.eventNid);
          await upsertCurrentState(tx, head.roomNid, typeNids[i], keyNids[i]!, row.eventNid, pdu, streamPos);
          state.set(stateKey(pdu.type, pdu.state_key), { eventId: event.eventId, eventNid: row.eventNid, pdu });
        }
        const redacted = redactsOf(head.version, pdu);
        if (redacted) await tx.event.updateMany({ where: { eventId: redacted, redactedBy: null }, data: { redactedBy: event.eventId } });
        extremities = [...extremities.filter((x) => !prev.includes(x.eventId)), { eventId: event.eventId, eventNid: row.eventNid, depth: pdu.depth, sha256: pdu.hashes.sha256 }];
        persisted.push({ eventId: event.eventId, eventNid: row.eventNid, streamPos });
      }

      await tx.forwardExtremity.deleteMany({ where: { roomNid: head.roomNid } });
      await tx.forwardExtremity.createMany({ data: extremities.map((x) => ({ roomNid: head.roomNid, eventNid: x.eventNid })) });
      await tx.room.update({ where: { roomNid: head.roomNid }, data: { stateSnapshotNid: snapshotNid } });
      if (options.inputId && options.reply) await tx.processedInput.create({ data: { inputId: options.inputId, reply: options.reply } });

      head.state = state;
      head.extremities = extremities;
      head.snapshotNid = snapshotNid;
      return persisted;
    });
  }

  /**
   * Locks the room row; refuses writers whose lease epoch is older than the
   * last writer's, and heads that no longer match the stored extremities
   * (a previous owner of the partition wrote after this head was loaded).
   */
  private async fence(tx: Prisma.TransactionClient, head: RoomHead, epoch: bigint): Promise<void> {
    const rows = await tx.$queryRawUnsafe<Array<{ writer_epoch: bigint }>>('SELECT writer_epoch FROM rooms WHERE room_nid = $1 FOR UPDATE', head.roomNid);
    if (BigInt(rows[0].writer_epoch) > epoch) throw new FencedWriteError(head.roomId);
    if (BigInt(rows[0].writer_epoch) < epoch) await tx.room.update({ where: { roomNid: head.roomNid }, data: { writerEpoch: epoch } });
    const stored = await tx.forwardExtremity.findMany({ where: { roomNid: head.roomNid }, select: { eventNid: true } });
    const cached = new Set(head.extremities.map((x) => x.eventNid));
    if (stored.length !== cached.size || stored.some((x) => !cached.has(x.eventNid))) throw new StaleHeadError(head.roomId);
  }
}

/** The event a redaction targets: in content from v11, top-level before. */
export function redactsOf(version: RoomVersion, pdu: Pdu): string | undefined {
  if (pdu.type !== 'm.room.redaction') return undefined;
  const target = version.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof target === 'string' ? target : undefined;
}

async function upsertCurrentState(
  tx: Prisma.TransactionClient,
  roomNid: number,
  typeNid: number,
  stateKeyNid: number,
  eventNid: bigint,
  pdu: Pdu,
  streamPos: bigint,
): Promise<void> {
  const isMember = pdu.type === 'm.room.member';
  const membership = isMember && typeof pdu.content.membership === 'string' ? pdu.content.membership : null;
  const userId = isMember ? pdu.state_key! : null;
  await tx.currentState.upsert({
    where: { roomNid_typeNid_stateKeyNid: { roomNid, typeNid, stateKeyNid } },
    create: { roomNid, typeNid, stateKeyNid, eventNid, userId, membership, streamPos },
    update: { eventNid, userId, membership, streamPos },
  });
}
