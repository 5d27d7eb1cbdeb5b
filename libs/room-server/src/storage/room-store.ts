import { Inject, Injectable } from '@nestjs/common';
import { referencedIds, stateKey, type Pdu, type RoomVersion } from '@lattice/protocol';
import {
  loadRoomHead,
  readSnapshotNids,
  relationOf,
  searchableText,
  type Extremity,
  type PartialJoin,
  type RoomHead,
  type StateEntry,
} from '@lattice/rooms';
import {
  DATABASE,
  allocateStreamPositions,
  allocationSql,
  firstAllocated,
  type Database,
  type Prisma,
  type PrismaClient,
  type RawSql,
  type ScriptStatement,
  type SqlTransaction,
} from '@lattice/storage';
import { roomPersistDuration } from '@lattice/telemetry';
import { planSnapshot, unstoredChain } from '../dag/snapshot-plan';
import { currentStateChanges, type StateChanges, type StateSet } from '../dag/state-set';
import {
  eventDetailsStatement,
  insertEvents,
  insertOutlierEvents,
  writeEventDetails,
  type EventDetails,
  type EventRow,
  type ExtremityRow,
  type RelationRow,
  type SearchRow,
} from './bulk-rows';
import { EventNidPool } from './event-nid-pool';
import { NidInterner } from './interning';
import { SnapshotWriter } from './snapshot-writer';
import { writeFullSnapshot } from './state-snapshots';

/**
 * What became of an event: accepted (in the timeline and the DAG), soft
 * failed (in the DAG, kept from clients and from our prev_events) or
 * rejected (kept only so events that reference it can be placed).
 */
export type EventStatus = 'accepted' | 'softFailed' | 'rejected';

/** An event to persist, already built or received, and authorised. */
export interface NewEvent {
  eventId: string;
  pdu: Pdu;
  /** The state before the event; stored as its snapshot. */
  before: StateSet;
  /** Accepted when absent. */
  status?: EventStatus;
  rejectionReason?: string;
  txn?: ClientTransaction;
  /** Placed on state fetched for a prev event this server lacks: a timeline gap before it (model TimelineGap). */
  gapBefore?: boolean;
}

/**
 * A client's transaction ID with its scope: client-server-api "Transaction
 * identifiers", a retransmission has the same transaction ID *and* the same
 * request path, so the scope is what the path names besides it (the room,
 * and the event type or the redacted event).
 */
export interface ClientTransaction {
  userId: string;
  deviceId: string;
  txnId: string;
  scope: string;
}

/** The events to persist in one room, on top of its head, by a writer holding `epoch`. */
export interface RoomWrite {
  head: RoomHead;
  events: NewEvent[];
  /** Other servers' events to keep outside the timeline, stored first: auth events and state fetched for a gap. */
  outliers?: Array<{ eventId: string; pdu: Pdu }>;
  epoch: bigint;
  /** The room once the events are in: its current state (the resolution of the extremities' states) and forward extremities. */
  next: { state: StateSet; extremities: Extremity[] };
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

/** The directory entries a room is created with: the alias asked for, and the server whose room directory lists it. */
export interface NewRoomEntries {
  alias?: { alias: string; serverName: string; creator: string };
  publishedOn?: string;
}

/** Thrown when the alias a room is created with was taken first; the creation wrote nothing. */
export class AliasTakenError extends Error {
  constructor(readonly alias: string) {
    super(`The alias ${alias} is taken`);
  }
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

/** Thrown when a write records a client transaction ID that is recorded already: the client sent the request again. */
export class RepeatedTransactionError extends Error {
  constructor() {
    super('A client transaction ID of the write is already recorded');
  }
}

/**
 * The room-server's storage: rooms, events, DAG edges, state snapshots and
 * current state. Only the room-server writes these tables.
 */
@Injectable()
export class RoomStore {
  private readonly nids: NidInterner;
  private readonly eventNids: EventNidPool;
  private readonly db: PrismaClient;

  constructor(@Inject(DATABASE) private readonly database: Database) {
    this.db = database.prisma;
    this.nids = new NidInterner(this.db);
    this.eventNids = new EventNidPool(database.sql);
  }

  /**
   * Creates a room: its row, its first events (`write`, planned on a head
   * that has no row yet), the reply of the input that made it and its
   * directory entries, in one transaction. A room therefore never exists
   * without the alias it was created with, and a redelivered input never
   * finds its reply recorded without them. The alias insert is the check:
   * of two creates racing for one alias the second waits for the first's
   * commit, then finds the alias taken and rolls back (AliasTakenError),
   * leaving no room behind.
   */
  async createRoom(write: RoomWrite, processed: ProcessedInput, entries: NewRoomEntries): Promise<PersistedEvent[]> {
    const { head } = write;
    const [persisted] = await this.persistAfter([write], [processed], async (tx) => {
      if (entries.alias) {
        const { alias, serverName, creator } = entries.alias;
        const inserted = await tx.$executeRawUnsafe(
          'INSERT INTO room_aliases (alias, room_id, server_name, creator) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          alias,
          head.roomId,
          serverName,
          creator,
        );
        if (inserted === 0) throw new AliasTakenError(alias);
      }
      const [room] = await tx.$queryRawUnsafe<Array<{ room_nid: number }>>(
        'INSERT INTO rooms (room_id, room_version) VALUES ($1, $2) RETURNING room_nid',
        head.roomId,
        head.version.id,
      );
      head.roomNid = Number(room.room_nid);
      if (entries.publishedOn !== undefined)
        await tx.$executeRawUnsafe(
          'INSERT INTO published_rooms (server_name, room_id) VALUES ($1, $2)',
          entries.publishedOn,
          head.roomId,
        );
    });
    return persisted;
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
    const interned = await this.intern(outliers.map((e) => e.pdu));
    return this.db.$transaction(async (tx) => {
      const room = await tx.room.create({
        data: { roomId, roomVersion: version.id, isPartialState: partial !== undefined },
      });
      if (partial)
        await tx.partialStateRoom.create({
          data: { roomNid: room.roomNid, roomId, joinEventId: partial.joinEventId, servers: partial.servers },
        });
      const nids = await insertOutliers(tx, { roomNid: room.roomNid, version }, outliers, interned);
      const entries = state.map(({ eventId, pdu }) => ({
        eventId,
        pdu,
        ...interned.of(pdu),
        eventNid: nids.get(eventId)!,
      }));
      const snapshot = await writeFullSnapshot(
        tx,
        room.roomNid,
        entries.map((e) => [e.typeNid, e.keyNid, e.eventNid]),
      );
      // Imported state has no position in our stream: it predates this server's view of the room.
      await tx.currentState.createMany({
        data: entries.map((e) => ({
          roomNid: room.roomNid,
          typeNid: e.typeNid,
          stateKeyNid: e.keyNid,
          eventNid: e.eventNid,
          ...memberColumns(e.pdu),
          streamPos: 0n,
        })),
      });
      await tx.room.update({ where: { roomNid: room.roomNid }, data: { stateSnapshotNid: snapshot } });
      return {
        roomNid: room.roomNid,
        roomId,
        version,
        state: new Map(
          entries.map((e) => [
            stateKey(e.pdu.type, e.pdu.state_key!),
            { eventId: e.eventId, eventNid: e.eventNid, pdu: e.pdu },
          ]),
        ),
        extremities: [],
        snapshotNid: snapshot,
        partialState: partial !== undefined,
      };
    });
  }

  /** Stores events of a room as outliers (fetched to complete a partial state); ones already stored are skipped. */
  async storeOutliers(head: RoomHead, events: Array<{ eventId: string; pdu: Pdu }>): Promise<void> {
    const known = new Set(
      (
        await this.db.event.findMany({
          where: { eventId: { in: events.map((e) => e.eventId) } },
          select: { eventId: true },
        })
      ).map((e) => e.eventId),
    );
    const fresh = [...new Map(events.filter((e) => !known.has(e.eventId)).map((e) => [e.eventId, e])).values()];
    if (fresh.length === 0) return;
    const interned = await this.intern(fresh.map((e) => e.pdu));
    await this.db.$transaction((tx) => insertOutliers(tx, head, fresh, interned));
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
  async completeState(
    head: RoomHead,
    joinEventId: string,
    stateIds: string[],
    isLocalUser: (userId: string) => boolean,
  ): Promise<bigint | undefined> {
    return this.db.$transaction(async (tx) => {
      const [room] = await tx.$queryRawUnsafe<Array<{ is_partial_state: boolean }>>(
        'SELECT is_partial_state FROM rooms WHERE room_nid = $1 FOR UPDATE',
        head.roomNid,
      );
      if (!room?.is_partial_state) return undefined;
      const rows = await tx.$queryRawUnsafe<
        Array<{ event_nid: bigint; event_id: string; type_nid: number; state_key_nid: number | null; json: string }>
      >(
        `SELECT e.event_nid, e.event_id, e.type_nid, e.state_key_nid, j.json FROM events e JOIN event_json j ON j.event_nid = e.event_nid
         WHERE e.room_nid = $1 AND e.event_id = ANY($2::text[]) AND e.state_key_nid IS NOT NULL`,
        head.roomNid,
        stateIds,
      );
      if (rows.length !== new Set(stateIds).size)
        throw new Error(`Completing ${head.roomId}: ${stateIds.length - rows.length} state events are not stored`);
      const full = rows.map((r) => ({
        eventNid: BigInt(r.event_nid),
        typeNid: r.type_nid,
        keyNid: r.state_key_nid!,
        pdu: JSON.parse(r.json) as Pdu,
      }));
      const slot = (e: { typeNid: number; keyNid: number }) => `${e.typeNid}:${e.keyNid}`;

      await completeRootSnapshots(tx, head.roomNid, full);
      const [join] = await tx.$queryRawUnsafe<Array<{ state_snapshot_nid: bigint | null }>>(
        'SELECT state_snapshot_nid FROM events WHERE event_id = $1',
        joinEventId,
      );
      const beforeJoin =
        join?.state_snapshot_nid == null
          ? new Map<string, bigint>()
          : await readSnapshotNids(tx, BigInt(join.state_snapshot_nid));
      for (const e of full) if (!beforeJoin.has(slot(e))) beforeJoin.set(slot(e), e.eventNid);
      const joinSnapshot = await writeFullSnapshot(tx, head.roomNid, snapshotEntries(beforeJoin));
      await tx.event.updateMany({ where: { eventId: joinEventId }, data: { stateSnapshotNid: joinSnapshot } });

      const current = new Set(
        (
          await tx.currentState.findMany({
            where: { roomNid: head.roomNid },
            select: { typeNid: true, stateKeyNid: true },
          })
        ).map((c) => slot({ typeNid: c.typeNid, keyNid: c.stateKeyNid })),
      );
      const missing = full.filter((e) => !current.has(slot(e)));
      const position = await allocateStreamPositions(tx, 'events', 1);
      await tx.currentState.createMany({
        data: missing.map((e) => ({
          roomNid: head.roomNid,
          typeNid: e.typeNid,
          stateKeyNid: e.keyNid,
          eventNid: e.eventNid,
          ...memberColumns(e.pdu),
          streamPos: position,
        })),
      });
      const now = await readSnapshotNids(tx, head.snapshotNid!);
      for (const e of missing) now.set(slot(e), e.eventNid);
      const snapshot = await writeFullSnapshot(tx, head.roomNid, snapshotEntries(now));
      const localMembers = (
        await tx.currentState.findMany({
          where: { roomNid: head.roomNid, membership: 'join' },
          select: { userId: true },
        })
      ).flatMap((c) => (c.userId && isLocalUser(c.userId) ? [c.userId] : []));
      if (localMembers.length)
        await tx.currentState.updateMany({
          where: { roomNid: head.roomNid, userId: { in: localMembers } },
          data: { streamPos: position },
        });
      await tx.room.update({
        where: { roomNid: head.roomNid },
        data: { stateSnapshotNid: snapshot, isPartialState: false },
      });
      await tx.partialStateRoom.deleteMany({ where: { roomNid: head.roomNid } });
      return position;
    });
  }

  /** The type and state-key nids of some events' types and keys (interned before a transaction: the interner has its own). */
  private async intern(pdus: Pdu[]): Promise<Interned> {
    const typeNids = new Map<string, number>();
    for (const type of new Set(pdus.map((pdu) => pdu.type))) typeNids.set(type, await this.nids.typeNid(type));
    const keyNids = await this.nids.stateKeyNids(
      pdus.flatMap((pdu) => (pdu.state_key === undefined ? [] : [pdu.state_key])),
    );
    const typeNid = (pdu: Pdu) => typeNids.get(pdu.type)!;
    const keyNid = (pdu: Pdu) => (pdu.state_key === undefined ? null : keyNids.get(pdu.state_key)!);
    return { typeNid, keyNid, of: (pdu) => ({ typeNid: typeNid(pdu), keyNid: keyNid(pdu)! }) };
  }

  /** Loads a room's head (current state and extremities), or undefined for a room this server does not have. */
  loadRoom(roomId: string): Promise<RoomHead | undefined> {
    return loadRoomHead(this.db, roomId);
  }

  /** The replies recorded for inputs that were already applied, by input ID. */
  async processedReplies(inputIds: string[]): Promise<Map<string, string>> {
    if (inputIds.length === 0) return new Map();
    const rows = await this.db.$queryRawUnsafe<Array<{ input_id: string; reply: string }>>(
      'SELECT input_id, reply FROM processed_inputs WHERE input_id = ANY($1::text[])',
      inputIds,
    );
    return new Map(rows.map((r) => [r.input_id, r.reply]));
  }

  /** The events client transactions already produced, by transactionKey(). */
  async eventsForTransactions(txns: ClientTransaction[]): Promise<Map<string, string>> {
    if (txns.length === 0) return new Map();
    const rows = await this.db.$queryRawUnsafe<
      Array<{ user_id: string; device_id: string; scope: string; txn_id: string; event_id: string }>
    >(
      `SELECT user_id, device_id, scope, txn_id, event_id FROM txn_ids
       WHERE (user_id, device_id, scope, txn_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))`,
      txns.map((t) => t.userId),
      txns.map((t) => t.deviceId),
      txns.map((t) => t.scope),
      txns.map((t) => t.txnId),
    );
    return new Map(
      rows.map((r) => [
        transactionKey({ userId: r.user_id, deviceId: r.device_id, scope: r.scope, txnId: r.txn_id }),
        r.event_id,
      ]),
    );
  }

  /**
   * Persists the events of several rooms and the replies of the inputs that
   * made them, in one transaction, so a batch of inputs costs one commit.
   * Every room row is locked and its writer's epoch checked first (fencing);
   * stream positions are allocated inside the transaction so they become
   * visible in order, and only for events clients may see (accepted ones:
   * rejected and soft-failed events stay out of the timeline). Each event
   * points at the snapshot of the state before it; the room's current state
   * and forward extremities become the write's `next`. On success each head
   * is advanced in place; returns, per room, its timeline events' positions.
   */
  persist(writes: RoomWrite[], processed: ProcessedInput[]): Promise<PersistedEvent[][]> {
    return this.persistAfter(writes, processed);
  }

  /** Persists the join that completes importRoom and drops the invite it answers, in one transaction. */
  async persistImportedJoin(
    write: RoomWrite,
    processed: ProcessedInput,
    invite: { roomId: string; userId: string },
  ): Promise<PersistedEvent[]> {
    const [persisted] = await this.persistAfter([write], [processed], async (tx) => {
      await tx.$executeRawUnsafe(
        'DELETE FROM remote_invites WHERE room_id = $1 AND user_id = $2',
        invite.roomId,
        invite.userId,
      );
    });
    return persisted;
  }

  /** A rejoin through another server answered the user's invite kept apart (RemoteInvites): it goes. */
  async dropRemoteInvite(invite: { roomId: string; userId: string }): Promise<void> {
    await this.db.remoteInvite.deleteMany({ where: invite });
  }

  /**
   * persist, with the input's own rows written first in the same transaction
   * (`first` runs before the rooms are locked). Its steps: intern every
   * type and state key written (before the transaction, which then only
   * reads the nids); then, in one transaction, fence the rooms and allocate
   * stream positions, insert the event rows, advance each room's state and
   * extremities, and write the events' details (JSON, edges, transaction
   * IDs, relations, redactions, the inputs' replies).
   */
  private async persistAfter(
    writes: RoomWrite[],
    processed: ProcessedInput[],
    first?: (tx: SqlTransaction) => Promise<void>,
  ): Promise<PersistedEvent[][]> {
    const timer = roomPersistDuration.startTimer();
    try {
      return await this.writeAll(writes, processed, first);
    } finally {
      timer();
    }
  }

  /** persistAfter's work, timed there for the persist-time metric. */
  private async writeAll(
    writes: RoomWrite[],
    processed: ProcessedInput[],
    first?: (tx: SqlTransaction) => Promise<void>,
  ): Promise<PersistedEvent[][]> {
    const interned = await this.intern(pdusWritten(writes));
    const visible = writes.flatMap((w) => w.events).filter(isVisible);

    // A write of messages alone is one round trip: its rows' nids are taken beforehand, and the fence, the
    // allocation of positions, every row and the commit go in one script. Other writes fence and allocate first,
    // as their state events' rows are inserted one by one and later statements need their nids.
    const messages = onlyMessages(writes) ? writes.reduce((n, w) => n + w.events.length, 0) : 0;
    const messageNids = messages > 0 ? await this.eventNids.take(messages) : undefined;
    const write = async (tx: SqlTransaction) => {
      await first?.(tx);
      const firstPosition = messageNids ? 0n : await this.fence(tx, writes, visible.length);
      const nids = new Map<string, bigint>();
      const snapshots = new SnapshotWriter(tx, nids, interned.typeNid, (pdu) => interned.keyNid(pdu)!);
      const { inserted, unsaved } = await insertEventRows(
        tx,
        writes,
        firstPosition,
        interned,
        snapshots,
        nids,
        messageNids,
      );
      const advanced = await advanceRooms(tx, inserted, snapshots, interned);
      const redactedIds = await markRedactions(tx, writes);
      const details = eventDetailsStatement({
        events: unsaved,
        ...detailsOf(inserted, advanced, nids, interned, processed, redactedIds),
        allocate: messageNids ? visible.length : 0,
      });
      if (details) {
        const [{ last }] = await tx.$commitWith<Array<{ last: string | null }>>(
          messageNids ? this.fenceScript(writes) : [],
          details.text,
          ...details.values,
        );
        // The rows' positions counted from 0: they become the allocated ones.
        if (messageNids && last !== null) {
          const first = firstAllocated(last, visible.length);
          for (const { persisted } of inserted) for (const p of persisted) p.streamPos += first;
        }
      }
      return { advancedHeads: advanced, written: snapshots.written };
    };
    const { advancedHeads, written: writtenSets } = await this.database.sql.transaction(write).catch((e: unknown) => {
      throw violates(e, 'txn_ids_pkey') ? new RepeatedTransactionError() : fenceRefusal(e, writes);
    });

    // Only now that they are committed may planned sets carry their snapshots, and planned entries their nids.
    for (const [set, nid] of writtenSets) set.snapshotNid = nid;
    for (const { write, numbered, extremities, snapshotNid } of advancedHeads) {
      for (const [entry, nid] of numbered) entry.eventNid = nid;
      Object.assign(write.head, { state: write.next.state.entries, extremities, snapshotNid });
    }
    return advancedHeads.map((a) => a.persisted);
  }

  /**
   * Stores history fetched from another server before everything this
   * server has of the room: each event gets a negative stream position,
   * older events lower ones, so /messages pages into it and /sync (which
   * only looks forward) never sees it. The events are outliers, as this
   * server does not know the state at them; they change neither the current
   * state nor the extremities. An event already stored as an outlier (room
   * state taken in at the join) just gets its place in the timeline.
   * `events` are newest first. Returns the events placed, with positions.
   */
  async storeBackfill(
    head: RoomHead,
    epoch: bigint,
    events: Array<{ eventId: string; pdu: Pdu }>,
    processed: ProcessedInput[],
  ): Promise<PersistedEvent[]> {
    const nids = await this.intern(events.map((e) => e.pdu));
    return this.database.sql.transaction(async (tx) => {
      await this.fence(tx, [
        { head, epoch, events: [], next: { state: { entries: head.state }, extremities: head.extremities } },
      ]);
      const stored = await tx.$queryRawUnsafe<
        Array<{ event_id: string; event_nid: string; stream_pos: string | null; redacted_by: string | null }>
      >(
        'SELECT event_id, event_nid, stream_pos, redacted_by FROM events WHERE event_id = ANY($1::text[])',
        events.map((e) => e.eventId),
      );
      const unplacedRows = stored.filter((r) => r.stream_pos === null);
      const unplaced = new Set(unplacedRows.map((r) => r.event_id));
      const known = new Set(stored.map((r) => r.event_id));
      const placed = events.filter((e) => !known.has(e.eventId) || unplaced.has(e.eventId));
      if (placed.length === 0) {
        await writeEventDetails(tx, { processed });
        return [];
      }
      const first = await allocateStreamPositions(tx, 'backfill', placed.length);
      const positions = new Map(placed.map((e, i) => [e.eventId, -(first + BigInt(i))]));
      if (unplaced.size > 0)
        await tx.$executeRawUnsafe(
          'UPDATE events e SET stream_pos = u.pos FROM unnest($1::text[], $2::bigint[]) AS u(id, pos) WHERE e.event_id = u.id',
          [...unplaced],
          [...unplaced].map((eventId) => positions.get(eventId)!),
        );
      const fresh = placed.filter((e) => !known.has(e.eventId));
      const eventNids = await insertOutlierEvents(
        tx,
        fresh.map(({ eventId, pdu }) => ({
          ...baseRow(head, eventId, pdu, nids.typeNid(pdu), nids.keyNid(pdu)),
          streamPos: positions.get(eventId)!,
        })),
      );
      for (const r of unplacedRows) eventNids.set(r.event_id, BigInt(r.event_nid));
      const redacted = new Set(unplacedRows.filter((r) => r.redacted_by !== null).map((r) => r.event_id));
      const nidOf = (eventId: string) => eventNids.get(eventId)!;
      await writeEventDetails(tx, {
        json: fresh.map(({ eventId, pdu }) => ({ eventNid: nidOf(eventId), json: JSON.stringify(pdu) })),
        prevEdges: fresh.flatMap(({ eventId, pdu }) =>
          referencedIds(pdu.prev_events).map((prevEventId) => ({ eventNid: nidOf(eventId), prevEventId })),
        ),
        authEdges: fresh.flatMap(({ eventId, pdu }) =>
          referencedIds(pdu.auth_events).map((authEventId) => ({ eventNid: nidOf(eventId), authEventId })),
        ),
        processed,
        relations: fresh.flatMap(({ eventId, pdu }) =>
          relationRows(head, nidOf(eventId), pdu, nids.typeNid(pdu), positions.get(eventId)!),
        ),
        // An outlier now in the timeline becomes searchable too, unless it was redacted meanwhile.
        search: placed
          .filter(({ eventId }) => !redacted.has(eventId))
          .flatMap(({ eventId, pdu }) => searchRows(head, nidOf(eventId), pdu, positions.get(eventId)!)),
      });
      return placed.map((e) => ({
        eventId: e.eventId,
        eventNid: eventNids.get(e.eventId) ?? 0n,
        streamPos: positions.get(e.eventId)!,
      }));
    });
  }

  /**
   * Fences the writes' rooms (fenceScript) and allocates the `positions`
   * events positions the write needs, in one round trip (with BEGIN when it
   * opens the transaction); returns the first position (0 when none).
   */
  private async fence(tx: SqlTransaction, writes: RoomWrite[], positions = 0): Promise<bigint> {
    const script = this.fenceScript(writes);
    if (script.length === 0) return 0n;
    if (positions > 0) script.push({ text: allocationSql('$1', '$2::bigint'), values: ['events', positions] });
    const rows = await tx.$queryRawScript<Array<{ position: string }>>(script).catch((e: unknown) => {
      throw fenceRefusal(e, writes);
    });
    return positions > 0 ? firstAllocated(rows[0].position, positions) : 0n;
  }

  /**
   * Statements that lock the writes' rooms' rows (in room order, so two
   * writers never deadlock), then refuse a writer whose lease epoch is older
   * than the room's last writer's (FencedWriteError), and a head whose
   * extremities no longer match the stored ones: a previous owner of the
   * partition wrote after it was loaded (StaleHeadError). The check
   * (`lattice_fence_room`, a function of the schema's migrations) is a
   * statement of its own after the lock's: one taken after the locks are
   * granted sees what the writer it waited for committed. It raises rather
   * than answers, so the statements sent after it in the same round trip
   * (a write's rows, its commit) never run on a refused write.
   *
   * The embedded database takes no lock: PGlite is one session, which a
   * transaction holds to its end, so no other transaction runs between the
   * check and the commit, and only this process opens its folder. The lock
   * cost PGlite ~0.19 ms a write, half of what the lock and the check took.
   */
  private fenceScript(writes: RoomWrite[]): ScriptStatement[] {
    if (writes.length === 0) return [];
    const check: ScriptStatement = {
      text: `SELECT lattice_fence_room(w.room, w.epoch, w.extremities::bigint[])
               FROM unnest($1::int[], $2::bigint[], $3::text[]) AS w(room, epoch, extremities)`,
      values: [
        writes.map((w) => w.head.roomNid),
        writes.map((w) => w.epoch),
        writes.map(({ head }) => {
          const extremities = head.extremities.map((x) => x.eventNid).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          return `{${extremities.join(',')}}`;
        }),
      ],
    };
    if (this.database.kind === 'embedded') return [check];
    const rooms = [...new Set(writes.map((w) => w.head.roomNid))].sort((a, b) => a - b);
    return [
      { text: 'SELECT 1 FROM rooms WHERE room_nid = ANY($1::int[]) ORDER BY room_nid FOR UPDATE', values: [rooms] },
      check,
    ];
  }
}

/** SQLSTATEs of fenceScript's refusals (a class of Lattice's own), each with the room's nid as its message. */
const FENCED = 'LA001';
const STALE_HEAD = 'LA002';

/** fenceScript's refusal as the error the writer handles; any other error as it is. */
function fenceRefusal(error: unknown, writes: RoomWrite[]): unknown {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const roomId = () => writes.find((w) => String(w.head.roomNid) === message)?.head.roomId ?? `room nid ${message}`;
  if (code === FENCED) return new FencedWriteError(roomId());
  if (code === STALE_HEAD) return new StaleHeadError(roomId());
  return error;
}

/**
 * Every event a write stores, and every state entry it writes into a
 * snapshot or the current state: whose types and state keys need nids.
 */
function pdusWritten(writes: RoomWrite[]): Pdu[] {
  const pdus = writes.flatMap((w) => [...w.events, ...(w.outliers ?? [])]).map((e) => e.pdu);
  for (const set of writes.flatMap((w) => [...w.events.map((e) => e.before), w.next.state])) {
    for (const unstored of unstoredChain(set)) {
      const plan = planSnapshot(unstored);
      pdus.push(...('full' in plan ? plan.full : plan.changes).map((entry) => entry.pdu));
    }
  }
  for (const { head, next } of writes)
    for (const entry of currentStateChanges(head, next.state).changes.values()) if (entry) pdus.push(entry.pdu);
  return pdus;
}

/** A write whose event rows are inserted: the stream positions its visible events took, and the last one. */
interface InsertedWrite {
  write: RoomWrite;
  persisted: PersistedEvent[];
  positions: Map<string, bigint>;
  lastPosition: bigint;
}

/**
 * Inserts the writes' outliers and event rows (each with the snapshot of
 * the state before it), giving visible events stream positions from
 * `position` on; state events one by one (later snapshots refer to them),
 * messages in one statement, or, given their nids (`messageNids`, in their
 * order), not at all: they are returned `unsaved`, for the statement that
 * writes their details. Fills `nids` with the events' nids.
 */
async function insertEventRows(
  tx: RawSql,
  writes: RoomWrite[],
  position: bigint,
  interned: Interned,
  snapshots: SnapshotWriter,
  nids: Map<string, bigint>,
  messageNids?: bigint[],
): Promise<{ inserted: InsertedWrite[]; unsaved: Array<{ eventNid: bigint; row: EventRow }> }> {
  const messageRows: EventRow[] = [];
  const inserted: InsertedWrite[] = [];
  for (const write of writes) {
    for (const [eventId, eventNid] of await insertOutliers(
      tx,
      write.head,
      [...new Map((write.outliers ?? []).map((o) => [o.eventId, o])).values()],
      interned,
    ))
      nids.set(eventId, eventNid);
    const persisted: PersistedEvent[] = [];
    const positions = new Map<string, bigint>();
    for (const event of write.events) {
      const streamPos = isVisible(event) ? position++ : null;
      if (streamPos !== null) positions.set(event.eventId, streamPos);
      const row = eventRow(
        write.head,
        event,
        interned.typeNid(event.pdu),
        interned.keyNid(event.pdu),
        streamPos,
        await snapshots.ensure(write.head.roomNid, event.before),
      );
      if (event.pdu.state_key === undefined) messageRows.push(row);
      else for (const [eventId, eventNid] of await insertEvents(tx, [row])) nids.set(eventId, eventNid);
      if (streamPos !== null) persisted.push({ eventId: event.eventId, eventNid: 0n, streamPos });
    }
    inserted.push({ write, persisted, positions, lastPosition: position - 1n });
  }
  const unsaved = messageNids ? messageRows.map((row, i) => ({ eventNid: messageNids[i], row })) : [];
  for (const { row, eventNid } of unsaved) nids.set(row.eventId, eventNid);
  if (!messageNids) for (const [eventId, eventNid] of await insertEvents(tx, messageRows)) nids.set(eventId, eventNid);
  for (const { persisted } of inserted) for (const p of persisted) p.eventNid = nids.get(p.eventId)!;
  return { inserted, unsaved };
}

/** Writes whose events are all messages that redact nothing, and that bring no outliers. */
function onlyMessages(writes: RoomWrite[]): boolean {
  return writes.every(
    (w) =>
      !w.outliers?.length &&
      w.events.every((e) => e.pdu.state_key === undefined && redactsOf(w.head.version, e.pdu) === undefined),
  );
}

/**
 * A room advanced by a write: its extremities with nids, to become its head once committed with the write's next
 * state, whose planned entries then learn their nids (`numbered`).
 */
interface AdvancedRoom {
  write: RoomWrite;
  numbered: Array<[StateEntry, bigint]>;
  extremities: Extremity[];
  snapshotNid: bigint | null;
  persisted: PersistedEvent[];
}

/** Moves each room to the write's next state: current state rows, the room's snapshot. */
async function advanceRooms(
  tx: RawSql,
  inserted: InsertedWrite[],
  snapshots: SnapshotWriter,
  interned: Interned,
): Promise<AdvancedRoom[]> {
  const advanced: AdvancedRoom[] = [];
  for (const { write, persisted, positions, lastPosition } of inserted) {
    const { changes, unnumbered } = currentStateChanges(write.head, write.next.state);
    const nidOf = await snapshots.nidsOf([...unnumbered, ...write.next.extremities]);
    const extremities = write.next.extremities.map((x) => ({ ...x, eventNid: nidOf(x) }));
    await updateCurrentState(
      tx,
      write.head,
      changes,
      nidOf,
      (eventId) => positions.get(eventId) ?? lastPosition,
      interned.typeNid,
      (pdu) => interned.keyNid(pdu)!,
    );
    const snapshotNid = await snapshots.ensure(write.head.roomNid, write.next.state);
    if (snapshotNid !== write.head.snapshotNid)
      await tx.$executeRawUnsafe(
        'UPDATE rooms SET state_snapshot_nid = $2 WHERE room_nid = $1',
        write.head.roomNid,
        snapshotNid,
      );
    const numbered = unnumbered.map((entry): [StateEntry, bigint] => [entry, nidOf(entry)]);
    advanced.push({ write, numbered, extremities, snapshotNid, persisted });
  }
  return advanced;
}

/**
 * What hangs off the inserted events: their JSON, prev and auth edges,
 * client transaction IDs, relations, the rooms' extremities and the inputs'
 * replies. The events of `redactedIds` (redacted by the writes) get no
 * relation and no search rows.
 */
function detailsOf(
  inserted: InsertedWrite[],
  advanced: AdvancedRoom[],
  nids: Map<string, bigint>,
  interned: Interned,
  processed: ProcessedInput[],
  redactedIds: Set<string>,
): EventDetails {
  const json: Array<{ eventNid: bigint; json: string }> = [];
  const edges: Array<{ eventNid: bigint; prevEventId: string }> = [];
  const authEdges: Array<{ eventNid: bigint; authEventId: string }> = [];
  const txns: Array<ClientTransaction & { eventId: string }> = [];
  const relations: RelationRow[] = [];
  const search: SearchRow[] = [];
  const gaps: Array<{ roomNid: number; streamPos: bigint }> = [];
  const eventIdOf = new Map<bigint, string>();
  for (const { write, positions } of inserted) {
    for (const event of write.events) {
      const { pdu, eventId } = event;
      const eventNid = nids.get(eventId)!;
      json.push({ eventNid, json: JSON.stringify(pdu) });
      edges.push(...referencedIds(pdu.prev_events).map((prevEventId) => ({ eventNid, prevEventId })));
      authEdges.push(...referencedIds(pdu.auth_events).map((authEventId) => ({ eventNid, authEventId })));
      if (event.txn) txns.push({ ...event.txn, eventId });
      const streamPos = positions.get(eventId);
      if (streamPos !== undefined) {
        relations.push(...relationRows(write.head, eventNid, pdu, interned.typeNid(pdu), streamPos));
        search.push(...searchRows(write.head, eventNid, pdu, streamPos));
      }
      if (streamPos !== undefined && event.gapBefore) gaps.push({ roomNid: write.head.roomNid, streamPos });
      eventIdOf.set(eventNid, eventId);
    }
  }
  return {
    json,
    prevEdges: edges,
    authEdges,
    txns,
    extremities: extremityChanges(advanced),
    processed,
    // Redaction strips m.relates_to, and with it the relationship; an event redacted in its own batch never gets one.
    relations: relations.filter((r) => !redactedIds.has(eventIdOf.get(r.eventNid)!)),
    unrelated: [...redactedIds],
    // Nor is it found by its words: its content is gone (client-server-api "Redactions").
    search: search.filter((r) => !redactedIds.has(eventIdOf.get(r.eventNid)!)),
    gaps,
  };
}

/**
 * The extremity rows each advanced room drops and gains. The fence has
 * checked that the stored ones are the head's, so the rows are named by
 * their whole keys.
 */
function extremityChanges(advanced: AdvancedRoom[]): { removed: ExtremityRow[]; added: ExtremityRow[] } {
  const removed: ExtremityRow[] = [];
  const added: ExtremityRow[] = [];
  for (const { write, extremities } of advanced) {
    const roomNid = write.head.roomNid;
    const before = new Set(write.head.extremities.map((x) => x.eventNid));
    const after = new Set(extremities.map((x) => x.eventNid));
    for (const eventNid of before) if (!after.has(eventNid)) removed.push({ roomNid, eventNid });
    for (const eventNid of after) if (!before.has(eventNid)) added.push({ roomNid, eventNid });
  }
  return { removed, added };
}

/** Marks the events the writes' accepted redactions redact; returns their IDs. */
async function markRedactions(tx: RawSql, writes: RoomWrite[]): Promise<Set<string>> {
  const redactedIds = new Set<string>();
  for (const { head, events } of writes) {
    for (const { pdu, eventId } of events.filter((e) => e.status === undefined || e.status === 'accepted')) {
      const redacted = redactsOf(head.version, pdu);
      if (redacted) {
        redactedIds.add(redacted);
        await tx.$executeRawUnsafe(
          'UPDATE events SET redacted_by = $2 WHERE event_id = $1 AND redacted_by IS NULL',
          redacted,
          eventId,
        );
      }
    }
  }
  return redactedIds;
}

interface Interned {
  typeNid(pdu: Pdu): number;
  /** Null for an event that is not state. */
  keyNid(pdu: Pdu): number | null;
  /** Both nids of a state event. */
  of(pdu: Pdu): { typeNid: number; keyNid: number };
}

/**
 * Inserts events as outliers (in the DAG, in no timeline nor state) with
 * their JSON and auth edges; an event already stored is left as it is.
 * Returns the nids of the events it inserted.
 */
async function insertOutliers(
  tx: RawSql,
  room: RoomRef,
  events: Array<{ eventId: string; pdu: Pdu }>,
  interned: Interned,
): Promise<Map<string, bigint>> {
  if (events.length === 0) return new Map();
  const nids = await insertOutlierEvents(
    tx,
    events.map(({ eventId, pdu }) => ({
      ...baseRow(room, eventId, pdu, interned.typeNid(pdu), interned.keyNid(pdu)),
      streamPos: null,
    })),
  );
  const created = events.filter((e) => nids.has(e.eventId));
  await writeEventDetails(tx, {
    json: created.map(({ eventId, pdu }) => ({ eventNid: nids.get(eventId)!, json: JSON.stringify(pdu) })),
    authEdges: created.flatMap(({ eventId, pdu }) =>
      referencedIds(pdu.auth_events).map((authEventId) => ({ eventNid: nids.get(eventId)!, authEventId })),
    ),
  });
  return nids;
}

/** readSnapshotNids' map as writeFullSnapshot's entries. */
function snapshotEntries(state: Map<string, bigint>): Array<[number, number, bigint]> {
  return [...state.entries()].map(([slot, eventNid]) => [
    Number(slot.split(':')[0]),
    Number(slot.split(':')[1]),
    eventNid,
  ]);
}

/** Whether a statement failed on this unique constraint (Postgres 23505, as node-pg or Prisma's driver adapter reports it). */
function violates(error: unknown, constraint: string): boolean {
  const pg = error as { code?: string; constraint?: string };
  if (pg.code === '23505' && pg.constraint === constraint) return true;
  const cause = (
    error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; originalMessage?: string } } } }
  ).meta?.driverAdapterError?.cause;
  return cause?.originalCode === '23505' && (cause.originalMessage ?? '').includes(`"${constraint}"`);
}

/** The key of a client transaction in eventsForTransactions' answer. */
export function transactionKey(txn: ClientTransaction): string {
  return JSON.stringify([txn.userId, txn.deviceId, txn.scope, txn.txnId]);
}

/** What a row needs of its room. */
type RoomRef = Pick<RoomHead, 'roomNid' | 'version'>;

/** The columns every stored event has, wherever it sits. */
function baseRow(head: RoomRef, eventId: string, pdu: Pdu, typeNid: number, stateKeyNid: number | null) {
  return {
    eventId,
    roomNid: head.roomNid,
    typeNid,
    stateKeyNid,
    sender: pdu.sender,
    depth: BigInt(pdu.depth),
    originServerTs: BigInt(pdu.origin_server_ts),
    redacts: redactsOf(head.version, pdu) ?? null,
  };
}

/** The event_relations row of an event that declares a relationship (none otherwise). */
function relationRows(head: RoomRef, eventNid: bigint, pdu: Pdu, typeNid: number, streamPos: bigint): RelationRow[] {
  const relation = relationOf(pdu.content);
  if (!relation) return [];
  return [
    {
      eventNid,
      roomNid: head.roomNid,
      parentEventId: relation.parentEventId,
      relType: relation.relType,
      aggregationKey: relation.key ?? null,
      typeNid,
      sender: pdu.sender,
      streamPos,
    },
  ];
}

/** The event_search row of an event clients see, if it has searchable text. */
function searchRows(head: RoomRef, eventNid: bigint, pdu: Pdu, streamPos: bigint): SearchRow[] {
  const searchable = searchableText(pdu);
  return searchable ? [{ eventNid, roomNid: head.roomNid, streamPos, ...searchable }] : [];
}

/** Whether clients see the event: only accepted events get a stream position. */
function isVisible(event: NewEvent): boolean {
  return event.status === undefined || event.status === 'accepted';
}

/** An event placed in the DAG: with the state before it, its place in the timeline if any, and what became of it. */
function eventRow(
  head: RoomHead,
  event: NewEvent,
  typeNid: number,
  stateKeyNid: number | null,
  streamPos: bigint | null,
  stateSnapshotNid: bigint | null,
): EventRow {
  return {
    ...baseRow(head, event.eventId, event.pdu, typeNid, stateKeyNid),
    streamPos,
    stateSnapshotNid,
    ...(event.pdu.state_key === undefined
      ? {}
      : { replacesState: event.before.entries.get(stateKey(event.pdu.type, event.pdu.state_key))?.eventId ?? null }),
    isRejected: event.status === 'rejected',
    rejectionReason: event.rejectionReason ?? null,
    isSoftFailed: event.status === 'softFailed',
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
  return {
    userId: isMember ? pdu.state_key! : null,
    membership: isMember && typeof pdu.content.membership === 'string' ? pdu.content.membership : null,
  };
}

/**
 * Brings current_state to the write's new state, row by row for what it
 * changes: rows whose event changed are rewritten with the position that
 * changed them (the event's own, or the write's last when state resolution
 * brought an older event back), and rows that resolution dropped are deleted.
 */
async function updateCurrentState(
  tx: RawSql,
  head: RoomHead,
  changes: StateChanges,
  nidOf: (entry: StateEntry) => bigint,
  positionOf: (eventId: string) => bigint,
  typeNid: (pdu: Pdu) => number,
  keyNid: (pdu: Pdu) => number,
): Promise<void> {
  const roomNid = head.roomNid;
  const dropped: bigint[] = [];
  const rows: Array<{ pdu: Pdu; eventNid: bigint; streamPos: bigint } & ReturnType<typeof memberColumns>> = [];
  for (const [key, entry] of changes) {
    const old = head.state.get(key);
    if (!entry) {
      if (old) dropped.push(old.eventNid);
      continue;
    }
    if (old?.eventId === entry.eventId) continue;
    const { pdu } = entry;
    rows.push({ pdu, eventNid: nidOf(entry), streamPos: positionOf(entry.eventId), ...memberColumns(pdu) });
  }
  if (rows.length)
    await tx.$executeRawUnsafe(
      `INSERT INTO current_state (room_nid, type_nid, state_key_nid, event_nid, user_id, membership, stream_pos)
       SELECT $1, * FROM unnest($2::int[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
       ON CONFLICT (room_nid, type_nid, state_key_nid) DO UPDATE
         SET event_nid = EXCLUDED.event_nid, user_id = EXCLUDED.user_id, membership = EXCLUDED.membership, stream_pos = EXCLUDED.stream_pos`,
      roomNid,
      rows.map((r) => typeNid(r.pdu)),
      rows.map((r) => keyNid(r.pdu)),
      rows.map((r) => r.eventNid),
      rows.map((r) => r.userId),
      rows.map((r) => r.membership),
      rows.map((r) => r.streamPos),
    );
  if (dropped.length)
    await tx.$executeRawUnsafe(
      'DELETE FROM current_state WHERE room_nid = $1 AND event_nid = ANY($2::bigint[])',
      roomNid,
      dropped,
    );
}

/**
 * Fills the full state before the join into every root snapshot the room
 * has: while it was partial, each event's state before it was layered over
 * roots that lacked the members, so an event received later, whose state
 * comes from such an event's, would be judged without them. A root gets
 * only the entries it has no slot for; layers above it keep overriding, so
 * every later change (and removal) still wins.
 */
async function completeRootSnapshots(
  tx: Prisma.TransactionClient,
  roomNid: number,
  full: Array<{ eventNid: bigint; typeNid: number; keyNid: number }>,
): Promise<void> {
  const roots = await tx.$queryRawUnsafe<
    Array<{ snapshot_nid: bigint; type_nids: number[]; state_key_nids: number[] }>
  >(
    'SELECT snapshot_nid, type_nids, state_key_nids FROM state_snapshots WHERE room_nid = $1 AND parent_snapshot_nid IS NULL',
    roomNid,
  );
  for (const root of roots) {
    const present = new Set(root.type_nids.map((t, i) => `${t}:${root.state_key_nids[i]}`));
    const missing = full.filter((e) => !present.has(`${e.typeNid}:${e.keyNid}`));
    if (missing.length === 0) continue;
    await tx.$executeRawUnsafe(
      'UPDATE state_snapshots SET type_nids = type_nids || $2::int[], state_key_nids = state_key_nids || $3::int[], event_nids = event_nids || $4::bigint[] WHERE snapshot_nid = $1',
      root.snapshot_nid,
      missing.map((e) => e.typeNid),
      missing.map((e) => e.keyNid),
      missing.map((e) => e.eventNid),
    );
  }
}
