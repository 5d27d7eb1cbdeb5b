import { Inject, Injectable } from '@nestjs/common';
import { referencedIds, stateKey, type Pdu, type ResolvableEvent } from '@lattice/protocol';
import { readSnapshotNids, type StateEntry } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { stateAfter, type StateSet } from './state-set';

/** An event of the DAG as the writer needs it to place a new one. */
export interface DagEvent {
  eventId: string;
  eventNid: bigint;
  pdu: Pdu;
  rejected: boolean;
  outlier: boolean;
  snapshotNid: bigint | null;
}

interface DagRow {
  event_id: string;
  event_nid: bigint;
  json: string;
  is_rejected: boolean;
  is_outlier: boolean;
  state_snapshot_nid: bigint | null;
}

/** States loaded from snapshots are kept for the next events (most follow the last one): at most this many. */
const CACHED_STATES = 64;

/**
 * Reads what the writer needs of the stored DAG: events by ID (outliers and
 * rejected ones included, flagged), the state after an event (its stored
 * snapshot, the state before it, plus itself), and the auth chains state
 * resolution walks.
 */
@Injectable()
export class DagReader {
  private readonly after = new Map<string, StateSet>();

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async events(eventIds: string[]): Promise<Map<string, DagEvent>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.db.$queryRawUnsafe<DagRow[]>(
      `SELECT e.event_id, e.event_nid, j.json, e.is_rejected, e.is_outlier, e.state_snapshot_nid
       FROM events e JOIN event_json j ON j.event_nid = e.event_nid WHERE e.event_id = ANY($1::text[])`,
      eventIds,
    );
    return new Map(rows.map((r) => [r.event_id, toDagEvent(r)]));
  }

  /** Which of these events some stored event names as a prev event. */
  async referenced(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.db.$queryRawUnsafe<Array<{ prev_event_id: string }>>(
      'SELECT DISTINCT prev_event_id FROM event_edges WHERE prev_event_id = ANY($1::text[])',
      eventIds,
    );
    return new Set(rows.map((r) => r.prev_event_id));
  }

  /** The state after a stored event that is in the DAG (not an outlier: its state is unknown). */
  async stateAfter(event: DagEvent): Promise<StateSet | undefined> {
    if (event.outlier) return undefined;
    const cached = this.after.get(event.eventId);
    if (cached) return cached;
    const before = await this.snapshot(event.snapshotNid);
    return this.remember(event.eventId, stateAfter(before, event, event.rejected));
  }

  /** Keeps the state after an event the writer just planned, for the events that follow it. */
  remember(eventId: string, set: StateSet): StateSet {
    if (this.after.size >= CACHED_STATES) this.after.delete(this.after.keys().next().value!);
    this.after.set(eventId, set);
    return set;
  }

  /** Drops what was remembered (a write failed: planned sets were never stored). */
  forget(): void {
    this.after.clear();
  }

  /** A stored snapshot as a state set. */
  async snapshot(snapshotNid: bigint | null): Promise<StateSet> {
    if (snapshotNid === null) return { entries: new Map(), snapshotNid: null };
    const nids = [...(await readSnapshotNids(this.db, snapshotNid)).values()];
    return { entries: await this.entriesOf(nids), snapshotNid };
  }

  /** A state given as event IDs (another server's /state_ids answer), from stored events. */
  async stateOf(eventIds: string[]): Promise<Map<string, StateEntry> | undefined> {
    const events = await this.events(eventIds);
    if (events.size !== new Set(eventIds).size) return undefined;
    return new Map(
      [...events.values()]
        .filter((e) => e.pdu.state_key !== undefined)
        .map((e) => [stateKey(e.pdu.type, e.pdu.state_key!), e]),
    );
  }

  /**
   * Every event state resolution may look at for these state events: the
   * events and their auth chains. `planned` are events not stored yet (the
   * writer's current batch); their auth events are followed in memory, the
   * stored ones with one recursive query.
   */
  async resolutionEvents(
    eventIds: Iterable<string>,
    planned: Map<string, ResolvableEvent>,
  ): Promise<ResolvableEvent[]> {
    const found = new Map<string, ResolvableEvent>();
    const stored = new Set<string>();
    const queue = [...eventIds];
    while (queue.length) {
      const id = queue.pop()!;
      if (found.has(id) || stored.has(id)) continue;
      const event = planned.get(id);
      if (!event) stored.add(id);
      else {
        found.set(id, event);
        queue.push(...referencedIds(event.pdu.auth_events));
      }
    }
    if (stored.size === 0) return [...found.values()];
    const rows = await this.db.$queryRawUnsafe<DagRow[]>(
      `WITH RECURSIVE chain(event_id) AS (
         SELECT unnest($1::text[])
         UNION
         SELECT a.auth_event_id FROM chain c JOIN events e ON e.event_id = c.event_id JOIN event_auth_edges a ON a.event_nid = e.event_nid
       ) SELECT e.event_id, e.event_nid, j.json, e.is_rejected, e.is_outlier, e.state_snapshot_nid
         FROM events e JOIN event_json j ON j.event_nid = e.event_nid WHERE e.event_id IN (SELECT event_id FROM chain)`,
      [...stored],
    );
    for (const row of rows)
      found.set(row.event_id, { eventId: row.event_id, pdu: JSON.parse(row.json) as Pdu, rejected: row.is_rejected });
    return [...found.values()];
  }

  private async entriesOf(eventNids: bigint[]): Promise<Map<string, StateEntry>> {
    const rows = await this.db.$queryRawUnsafe<Array<{ event_id: string; event_nid: bigint; json: string }>>(
      'SELECT e.event_id, e.event_nid, j.json FROM events e JOIN event_json j ON j.event_nid = e.event_nid WHERE e.event_nid = ANY($1::bigint[])',
      eventNids,
    );
    const entries = new Map<string, StateEntry>();
    for (const row of rows) {
      const pdu = JSON.parse(row.json) as Pdu;
      entries.set(stateKey(pdu.type, pdu.state_key!), { eventId: row.event_id, eventNid: BigInt(row.event_nid), pdu });
    }
    return entries;
  }
}

function toDagEvent(row: DagRow): DagEvent {
  return {
    eventId: row.event_id,
    eventNid: BigInt(row.event_nid),
    pdu: JSON.parse(row.json) as Pdu,
    rejected: row.is_rejected,
    outlier: row.is_outlier,
    snapshotNid: row.state_snapshot_nid === null ? null : BigInt(row.state_snapshot_nid),
  };
}
