import type { RawSql } from '@lattice/storage';
import type { Pdu } from '@lattice/protocol';
import { planSnapshot } from '../dag/snapshot-plan';
import type { StateSet } from '../dag/state-set';
import { writeFullSnapshot, writeStateSnapshot } from './state-snapshots';

/**
 * Stores planned state sets inside the persist transaction, each once: a
 * set over a stored base as one layer per changed entry, any other whole.
 * `written` says which sets got which snapshot, for the caller to record on
 * them once the transaction has committed.
 */
export class SnapshotWriter {
  readonly written = new Map<StateSet, bigint | null>();

  constructor(
    private readonly tx: RawSql,
    private readonly nids: Map<string, bigint>,
    private readonly typeNid: (pdu: Pdu) => number,
    private readonly keyNid: (pdu: Pdu) => number,
  ) {}

  async ensure(roomNid: number, set: StateSet): Promise<bigint | null> {
    if (set.snapshotNid !== undefined) return set.snapshotNid;
    if (this.written.has(set)) return this.written.get(set)!;
    const plan = planSnapshot(set);
    let nid: bigint | null;
    if ('full' in plan) {
      const nidOf = await this.nidsOf(plan.full);
      nid =
        plan.full.length === 0
          ? null
          : await writeFullSnapshot(
              this.tx,
              roomNid,
              plan.full.map((e) => [this.typeNid(e.pdu), this.keyNid(e.pdu), nidOf(e)]),
            );
    } else {
      nid = await this.ensure(roomNid, plan.base);
      const nidOf = await this.nidsOf(plan.changes);
      for (const e of plan.changes)
        nid = await writeStateSnapshot(this.tx, roomNid, nid, this.typeNid(e.pdu), this.keyNid(e.pdu), nidOf(e));
    }
    this.written.set(set, nid);
    return nid;
  }

  /** The event nids of these entries: known, written in this transaction, or read (planned entries carry 0). */
  async nidsOf(
    items: Array<{ eventId: string; eventNid: bigint }>,
  ): Promise<(item: { eventId: string; eventNid: bigint }) => bigint> {
    const missing = items.filter((x) => !x.eventNid && !this.nids.has(x.eventId)).map((x) => x.eventId);
    if (missing.length) {
      const rows = await this.tx.$queryRawUnsafe<Array<{ event_id: string; event_nid: bigint }>>(
        'SELECT event_id, event_nid FROM events WHERE event_id = ANY($1::text[])',
        missing,
      );
      for (const row of rows) this.nids.set(row.event_id, BigInt(row.event_nid));
    }
    return (item) => item.eventNid || this.nids.get(item.eventId)!;
  }
}
