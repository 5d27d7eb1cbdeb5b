import { getRoomVersion, referencedIds, stateKey, type Pdu, type RoomVersion } from '@lattice/protocol';
import { allocateStreamPositions, type Prisma, type PrismaClient } from '@lattice/storage';
import { NidInterner } from './interning';
import { readSnapshotNids, writeStateSnapshot } from './state-snapshots';

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

/** An event to persist, already built, signed and authorised. */
export interface NewEvent {
  eventId: string;
  pdu: Pdu;
  txn?: { userId: string; deviceId: string; txnId: string };
}

/** The events to persist in one room, on top of its head, by a writer holding `epoch`. */
export interface RoomWrite {
  head: RoomHead;
  events: NewEvent[];
  epoch: bigint;
}

/** An input's reply, recorded with its events so a redelivered input is answered, not applied again. */
export interface ProcessedInput {
  inputId: string;
  reply: string;
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
    return { roomNid: row.roomNid, roomId, version, state: new Map(), extremities: [], snapshotNid: null, partialState: false };
  }

  /**
   * Takes in a room this server joins through another (send_join): the
   * room's state and its auth chain, already checked, become outliers (in
   * the DAG, not in any timeline), the state becomes the room's first
   * snapshot and its current state. A partial-state join (`partial`) marks
   * the room and records what the resync needs, in the same transaction.
   * Returns the head the join event is then persisted on, like any event.
   */
  async importRoom(
    roomId: string,
    version: RoomVersion,
    state: Array<{ eventId: string; pdu: Pdu }>,
    authChain: Array<{ eventId: string; pdu: Pdu }>,
    partial?: PartialJoin,
  ): Promise<RoomHead> {
    const outliers = [...new Map([...authChain, ...state].map((e) => [e.eventId, e])).values()];
    const interned = await this.intern(outliers);
    return this.db.$transaction(async (tx) => {
      const room = await tx.room.create({ data: { roomId, roomVersion: version.id, isPartialState: partial !== undefined } });
      if (partial) await tx.partialStateRoom.create({ data: { roomNid: room.roomNid, roomId, joinEventId: partial.joinEventId, servers: partial.servers } });
      const nids = await insertOutliers(tx, room.roomNid, version, outliers, interned);
      const entries = state.map(({ eventId, pdu }) => ({ eventId, pdu, ...interned.of(pdu), eventNid: nids.get(eventId)! }));
      const snapshot = await createFullSnapshot(tx, room.roomNid, entries);
      // Imported state has no position in our stream: it predates this server's view of the room.
      await tx.currentState.createMany({ data: entries.map((e) => ({ roomNid: room.roomNid, typeNid: e.typeNid, stateKeyNid: e.keyNid, eventNid: e.eventNid, ...memberColumns(e.pdu), streamPos: 0n })) });
      await tx.room.update({ where: { roomNid: room.roomNid }, data: { stateSnapshotNid: snapshot } });
      return {
        roomNid: room.roomNid,
        roomId,
        version,
        state: new Map(entries.map((e) => [stateKey(e.pdu.type, e.pdu.state_key!), { eventId: e.eventId, eventNid: e.eventNid, pdu: e.pdu }])),
        extremities: [],
        snapshotNid: snapshot,
        partialState: partial !== undefined,
      };
    });
  }

  /** Stores events of a room as outliers (fetched to complete a partial state); ones already stored are skipped. */
  async storeOutliers(head: RoomHead, events: Array<{ eventId: string; pdu: Pdu }>): Promise<void> {
    const known = new Set((await this.db.event.findMany({ where: { eventId: { in: events.map((e) => e.eventId) } }, select: { eventId: true } })).map((e) => e.eventId));
    const fresh = [...new Map(events.filter((e) => !known.has(e.eventId)).map((e) => [e.eventId, e])).values()];
    if (fresh.length === 0) return;
    const interned = await this.intern(fresh);
    await this.db.$transaction((tx) => insertOutliers(tx, head.roomNid, head.version, fresh, interned));
  }

  /**
   * Completes a partial-state room once the full state before our join is
   * stored (every event of `stateIds`): state keys the room has no entry
   * for are filled in from it (an entry the room has came from the partial
   * answer or from an event after the join, so it is as new or newer); the
   * join event's snapshot becomes that full state, so /state_ids at it
   * answers in full; the current state gets a full snapshot; the flag and
   * the bookkeeping go. The room's local members get the completion's
   * stream position on their membership, so their next /sync sends the
   * room again whole, as after a join. Returns that position, or undefined
   * when the room was not partial (a repeated completion).
   */
  async completeState(head: RoomHead, joinEventId: string, stateIds: string[], isLocalUser: (userId: string) => boolean): Promise<bigint | undefined> {
    return this.db.$transaction(async (tx) => {
      const [room] = await tx.$queryRawUnsafe<Array<{ is_partial_state: boolean }>>('SELECT is_partial_state FROM rooms WHERE room_nid = $1 FOR UPDATE', head.roomNid);
      if (!room?.is_partial_state) return undefined;
      const rows = await tx.$queryRawUnsafe<Array<{ event_nid: bigint; event_id: string; type_nid: number; state_key_nid: number | null; json: string }>>(
        `SELECT e.event_nid, e.event_id, e.type_nid, e.state_key_nid, j.json FROM events e JOIN event_json j ON j.event_nid = e.event_nid
         WHERE e.room_nid = $1 AND e.event_id = ANY($2::text[]) AND e.state_key_nid IS NOT NULL`,
        head.roomNid,
        stateIds,
      );
      if (rows.length !== new Set(stateIds).size) throw new Error(`Completing ${head.roomId}: ${stateIds.length - rows.length} state events are not stored`);
      const full = rows.map((r) => ({ eventNid: BigInt(r.event_nid), typeNid: r.type_nid, keyNid: r.state_key_nid!, pdu: JSON.parse(r.json) as Pdu }));
      const slot = (e: { typeNid: number; keyNid: number }) => `${e.typeNid}:${e.keyNid}`;

      const [join] = await tx.$queryRawUnsafe<Array<{ state_snapshot_nid: bigint | null }>>('SELECT state_snapshot_nid FROM events WHERE event_id = $1', joinEventId);
      const beforeJoin = join?.state_snapshot_nid == null ? new Map<string, bigint>() : await readSnapshotNids(tx, BigInt(join.state_snapshot_nid));
      for (const e of full) if (!beforeJoin.has(slot(e))) beforeJoin.set(slot(e), e.eventNid);
      const joinSnapshot = await createFullSnapshot(tx, head.roomNid, [...beforeJoin.entries()].map(([k, eventNid]) => ({ typeNid: Number(k.split(':')[0]), keyNid: Number(k.split(':')[1]), eventNid })));
      await tx.event.updateMany({ where: { eventId: joinEventId }, data: { stateSnapshotNid: joinSnapshot } });

      const current = new Set((await tx.currentState.findMany({ where: { roomNid: head.roomNid }, select: { typeNid: true, stateKeyNid: true } })).map((c) => slot({ typeNid: c.typeNid, keyNid: c.stateKeyNid })));
      const missing = full.filter((e) => !current.has(slot(e)));
      const position = await allocateStreamPositions(tx, 'events', 1);
      await tx.currentState.createMany({ data: missing.map((e) => ({ roomNid: head.roomNid, typeNid: e.typeNid, stateKeyNid: e.keyNid, eventNid: e.eventNid, ...memberColumns(e.pdu), streamPos: position })) });
      const now = await readSnapshotNids(tx, head.snapshotNid!);
      for (const e of missing) now.set(slot(e), e.eventNid);
      const snapshot = await createFullSnapshot(tx, head.roomNid, [...now.entries()].map(([k, eventNid]) => ({ typeNid: Number(k.split(':')[0]), keyNid: Number(k.split(':')[1]), eventNid })));
      const localMembers = (await tx.currentState.findMany({ where: { roomNid: head.roomNid, membership: 'join' }, select: { userId: true } })).flatMap((c) => (c.userId && isLocalUser(c.userId) ? [c.userId] : []));
      if (localMembers.length) await tx.currentState.updateMany({ where: { roomNid: head.roomNid, userId: { in: localMembers } }, data: { streamPos: position } });
      await tx.room.update({ where: { roomNid: head.roomNid }, data: { stateSnapshotNid: snapshot, isPartialState: false } });
      await tx.partialStateRoom.deleteMany({ where: { roomNid: head.roomNid } });
      return position;
    });
  }

  /** The type and state-key nids of some events' types and keys (interned before a transaction: the interner has its own). */
  private async intern(events: Array<{ pdu: Pdu }>): Promise<Interned> {
    const typeNids = new Map<string, number>();
    for (const type of new Set(events.map(({ pdu }) => pdu.type))) typeNids.set(type, await this.nids.typeNid(type));
    const keyNids = await this.nids.stateKeyNids(events.flatMap(({ pdu }) => (pdu.state_key === undefined ? [] : [pdu.state_key])));
    return { typeNids, keyNids, of: (pdu) => ({ typeNid: typeNids.get(pdu.type)!, keyNid: keyNids.get(pdu.state_key!)! }) };
  }

  /** Loads a room's head (current state and extremities), or undefined for a room this server does not have. */
  loadRoom(roomId: string): Promise<RoomHead | undefined> {
    return loadRoomHead(this.db, roomId);
  }

  /** The replies recorded for inputs that were already applied, by input ID. */
  async processedReplies(inputIds: string[]): Promise<Map<string, string>> {
    const rows = await this.db.processedInput.findMany({ where: { inputId: { in: inputIds } } });
    return new Map(rows.map((r) => [r.inputId, r.reply]));
  }

  /** The events client transactions already produced, by transactionKey(). */
  async eventsForTransactions(txns: Array<{ userId: string; deviceId: string; txnId: string }>): Promise<Map<string, string>> {
    if (txns.length === 0) return new Map();
    const rows = await this.db.transactionId.findMany({ where: { OR: txns.map(({ userId, deviceId, txnId }) => ({ userId, deviceId, txnId })) } });
    return new Map(rows.map((r) => [transactionKey(r), r.eventId]));
  }

  /**
   * Persists the events of several rooms and the replies of the inputs that
   * made them, in one transaction, so a batch of inputs costs one commit.
   * Every room row is locked and its writer's epoch checked first (fencing);
   * stream positions are allocated inside the transaction so they become
   * visible in order. Rows of the same kind go in one statement each. On
   * success each head is advanced in place; returns, per room, its events'
   * positions.
   */
  async persist(writes: RoomWrite[], processed: ProcessedInput[]): Promise<PersistedEvent[][]> {
    const events = writes.flatMap((w) => w.events);
    const typeNids = new Map<string, number>();
    const keyNids = new Map<string, number>();
    for (const { pdu } of events) {
      typeNids.set(pdu.type, await this.nids.typeNid(pdu.type));
      if (pdu.state_key !== undefined) keyNids.set(pdu.state_key, await this.nids.stateKeyNid(pdu.state_key));
    }
    const typeNid = (pdu: Pdu) => typeNids.get(pdu.type)!;
    const keyNid = (pdu: Pdu) => (pdu.state_key === undefined ? null : keyNids.get(pdu.state_key)!);

    const advanced = await this.db.$transaction(async (tx) => {
      await this.fence(tx, writes);
      let position = events.length ? await allocateStreamPositions(tx, 'events', events.length) : 0n;
      const nids = new Map<string, bigint>();
      const messageRows: Prisma.EventCreateManyInput[] = [];
      const heads = [];

      // State events one by one (each needs its own nid for the snapshot that follows it);
      // the rest, which only need the snapshot they sit on, in one statement.
      for (const write of writes) {
        let snapshotNid = write.head.snapshotNid;
        const persisted: PersistedEvent[] = [];
        for (const event of write.events) {
          const { pdu } = event;
          const row = eventRow(write.head, event, typeNid(pdu), keyNid(pdu), position, snapshotNid);
          if (pdu.state_key === undefined) {
            messageRows.push(row);
          } else {
            const { eventNid } = await tx.event.create({ data: row, select: { eventNid: true } });
            nids.set(event.eventId, eventNid);
            snapshotNid = await writeStateSnapshot(tx, write.head.roomNid, snapshotNid, typeNid(pdu), keyNid(pdu)!, eventNid);
            await upsertCurrentState(tx, write.head.roomNid, typeNid(pdu), keyNid(pdu)!, eventNid, pdu, position);
          }
          persisted.push({ eventId: event.eventId, eventNid: 0n, streamPos: position++ });
        }
        heads.push({ write, snapshotNid, persisted });
      }
      if (messageRows.length) {
        for (const row of await tx.event.createManyAndReturn({ data: messageRows, select: { eventId: true, eventNid: true } })) nids.set(row.eventId, row.eventNid);
      }

      const json: Prisma.EventJsonCreateManyInput[] = [];
      const edges: Prisma.EventEdgeCreateManyInput[] = [];
      const authEdges: Prisma.EventAuthEdgeCreateManyInput[] = [];
      const txns: Prisma.TransactionIdCreateManyInput[] = [];
      const extremityRows: Prisma.ForwardExtremityCreateManyInput[] = [];
      const advancedHeads = heads.map(({ write, snapshotNid, persisted }) => {
        const state = new Map(write.head.state);
        let extremities = write.head.extremities;
        for (const [i, event] of write.events.entries()) {
          const { pdu, eventId } = event;
          const eventNid = nids.get(eventId)!;
          persisted[i].eventNid = eventNid;
          json.push({ eventNid, json: JSON.stringify(pdu) });
          const prev = referencedIds(pdu.prev_events);
          edges.push(...prev.map((prevEventId) => ({ eventNid, prevEventId })));
          authEdges.push(...referencedIds(pdu.auth_events).map((authEventId) => ({ eventNid, authEventId })));
          if (event.txn) txns.push({ ...event.txn, eventId });
          if (pdu.state_key !== undefined) state.set(stateKey(pdu.type, pdu.state_key), { eventId, eventNid, pdu });
          extremities = [...extremities.filter((x) => !prev.includes(x.eventId)), { eventId, eventNid, depth: pdu.depth, sha256: pdu.hashes.sha256 }];
        }
        extremityRows.push(...extremities.map((x) => ({ roomNid: write.head.roomNid, eventNid: x.eventNid })));
        return { write, state, extremities, snapshotNid, persisted };
      });

      if (json.length) await tx.eventJson.createMany({ data: json });
      if (edges.length) await tx.eventEdge.createMany({ data: edges, skipDuplicates: true });
      if (authEdges.length) await tx.eventAuthEdge.createMany({ data: authEdges, skipDuplicates: true });
      if (txns.length) await tx.transactionId.createMany({ data: txns });
      for (const { head, events: written } of writes) {
        for (const { pdu, eventId } of written) {
          const redacted = redactsOf(head.version, pdu);
          if (redacted) await tx.event.updateMany({ where: { eventId: redacted, redactedBy: null }, data: { redactedBy: eventId } });
        }
      }
      const written = writes.filter((w) => w.events.length).map((w) => w.head.roomNid);
      if (written.length) {
        await tx.forwardExtremity.deleteMany({ where: { roomNid: { in: written } } });
        await tx.forwardExtremity.createMany({ data: extremityRows });
      }
      for (const { write, snapshotNid } of advancedHeads) {
        if (snapshotNid !== write.head.snapshotNid) await tx.room.update({ where: { roomNid: write.head.roomNid }, data: { stateSnapshotNid: snapshotNid } });
      }
      if (processed.length) await tx.processedInput.createMany({ data: processed });
      return advancedHeads;
    });

    for (const { write, state, extremities, snapshotNid } of advanced) Object.assign(write.head, { state, extremities, snapshotNid });
    return advanced.map((a) => a.persisted);
  }

  /**
   * Locks the rooms' rows (in room order, so two writers never deadlock);
   * refuses writers whose lease epoch is older than the room's last
   * writer's, and heads that no longer match the stored extremities (a
   * previous owner of the partition wrote after this head was loaded).
   */
  private async fence(tx: Prisma.TransactionClient, writes: RoomWrite[]): Promise<void> {
    const roomNids = writes.map((w) => w.head.roomNid).sort((a, b) => a - b);
    const rows = await tx.$queryRawUnsafe<Array<{ room_nid: number; writer_epoch: bigint }>>(
      'SELECT room_nid, writer_epoch FROM rooms WHERE room_nid = ANY($1::int[]) ORDER BY room_nid FOR UPDATE',
      roomNids,
    );
    const epochs = new Map(rows.map((r) => [Number(r.room_nid), BigInt(r.writer_epoch)]));
    for (const { head, epoch } of writes) {
      const stored = epochs.get(head.roomNid)!;
      if (stored > epoch) throw new FencedWriteError(head.roomId);
      if (stored < epoch) await tx.room.update({ where: { roomNid: head.roomNid }, data: { writerEpoch: epoch } });
    }
    const stored = await tx.forwardExtremity.findMany({ where: { roomNid: { in: roomNids } }, select: { roomNid: true, eventNid: true } });
    for (const { head } of writes) {
      const mine = stored.filter((x) => x.roomNid === head.roomNid);
      const cached = new Set(head.extremities.map((x) => x.eventNid));
      if (mine.length !== cached.size || mine.some((x) => !cached.has(x.eventNid))) throw new StaleHeadError(head.roomId);
    }
  }
}

interface Interned {
  typeNids: Map<string, number>;
  keyNids: Map<string, number>;
  of(pdu: Pdu): { typeNid: number; keyNid: number };
}

/** Inserts events as outliers (in the DAG, in no timeline nor state) with their JSON and auth edges; returns their nids. */
async function insertOutliers(tx: Prisma.TransactionClient, roomNid: number, version: RoomVersion, events: Array<{ eventId: string; pdu: Pdu }>, interned: Interned): Promise<Map<string, bigint>> {
  const rows = await tx.event.createManyAndReturn({
    data: events.map(({ eventId, pdu }) => ({
      eventId,
      roomNid,
      typeNid: interned.typeNids.get(pdu.type)!,
      stateKeyNid: pdu.state_key === undefined ? null : interned.keyNids.get(pdu.state_key)!,
      sender: pdu.sender,
      depth: BigInt(pdu.depth),
      originServerTs: BigInt(pdu.origin_server_ts),
      isOutlier: true,
      redacts: redactsOf(version, pdu) ?? null,
    })),
    select: { eventId: true, eventNid: true },
  });
  const nids = new Map(rows.map((r) => [r.eventId, r.eventNid]));
  await tx.eventJson.createMany({ data: events.map(({ eventId, pdu }) => ({ eventNid: nids.get(eventId)!, json: JSON.stringify(pdu) })) });
  const authEdges = events.flatMap(({ eventId, pdu }) => referencedIds(pdu.auth_events).map((authEventId) => ({ eventNid: nids.get(eventId)!, authEventId })));
  if (authEdges.length) await tx.eventAuthEdge.createMany({ data: authEdges, skipDuplicates: true });
  return nids;
}

/** A layer-0 snapshot holding the whole of a state; returns its nid. */
async function createFullSnapshot(tx: Prisma.TransactionClient, roomNid: number, entries: Array<{ typeNid: number; keyNid: number; eventNid: bigint }>): Promise<bigint> {
  const row = await tx.stateSnapshot.create({
    data: { roomNid, parentSnapshotNid: null, layerDepth: 0, typeNids: entries.map((e) => e.typeNid), stateKeyNids: entries.map((e) => e.keyNid), eventNids: entries.map((e) => e.eventNid) },
  });
  return row.snapshotNid;
}

/** The key of a client transaction in eventsForTransactions' answer. */
export function transactionKey(txn: { userId: string; deviceId: string; txnId: string }): string {
  return JSON.stringify([txn.userId, txn.deviceId, txn.txnId]);
}

function eventRow(head: RoomHead, event: NewEvent, typeNid: number, stateKeyNid: number | null, streamPos: bigint, stateSnapshotNid: bigint | null): Prisma.EventCreateManyInput {
  const { pdu } = event;
  return {
    eventId: event.eventId,
    roomNid: head.roomNid,
    typeNid,
    stateKeyNid,
    sender: pdu.sender,
    depth: BigInt(pdu.depth),
    originServerTs: BigInt(pdu.origin_server_ts),
    streamPos,
    stateSnapshotNid,
    redacts: redactsOf(head.version, pdu) ?? null,
    txnId: event.txn?.txnId ?? null,
    senderDeviceId: event.txn?.deviceId ?? null,
  };
}

/** The event a redaction targets: in content from v11, top-level before. */
export function redactsOf(version: RoomVersion, pdu: Pdu): string | undefined {
  if (pdu.type !== 'm.room.redaction') return undefined;
  const target = version.redactsInContent ? pdu.content.redacts : pdu.redacts;
  return typeof target === 'string' ? target : undefined;
}

/** current_state's denormalised membership: the user and membership of an m.room.member event, null otherwise. */
function memberColumns(pdu: Pdu): { userId: string | null; membership: string | null } {
  const isMember = pdu.type === 'm.room.member';
  return { userId: isMember ? pdu.state_key! : null, membership: isMember && typeof pdu.content.membership === 'string' ? pdu.content.membership : null };
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
  const { userId, membership } = memberColumns(pdu);
  await tx.currentState.upsert({
    where: { roomNid_typeNid_stateKeyNid: { roomNid, typeNid, stateKeyNid } },
    create: { roomNid, typeNid, stateKeyNid, eventNid, userId, membership, streamPos },
    update: { eventNid, userId, membership, streamPos },
  });
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
  const extremities = await db.$queryRawUnsafe<Array<{ event_nid: bigint; event_id: string; depth: bigint; json: string }>>(
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
    partialState: room.isPartialState,
  };
}
