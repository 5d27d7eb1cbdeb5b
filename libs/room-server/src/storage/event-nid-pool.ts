import type { SqlExecutor } from '@lattice/storage';

/** Nids reserved per round trip: a send takes one, so one send in this many pays for the reservation. */
const RESERVE = 64;

/**
 * Event nids taken from the events table's sequence ahead of need, outside
 * any transaction, so a write of messages can name its rows' nids in the
 * statement that also locks, checks and commits (one round trip). A sequence
 * never hands a value out twice, whatever rolls back; nids a process reserved
 * and never used are gaps, as a rolled-back insert leaves. Nothing orders
 * events by nid (stream positions and depth do), so nids reserved by two
 * writers may interleave.
 */
export class EventNidPool {
  private reserved: bigint[] = [];

  constructor(private readonly sql: SqlExecutor) {}

  /** `count` unused nids, ascending. */
  async take(count: number): Promise<bigint[]> {
    if (this.reserved.length < count) {
      const rows = await this.sql.query<{ nid: string }>(
        "SELECT nextval(pg_get_serial_sequence('events', 'event_nid')) AS nid FROM generate_series(1, $1::int)",
        [Math.max(RESERVE, count - this.reserved.length)],
      );
      this.reserved.push(...rows.map((r) => BigInt(r.nid)));
    }
    return this.reserved.splice(0, count);
  }
}
