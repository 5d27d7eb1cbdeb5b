import { queueOutbound, type OutboundItem } from '@lattice/federation';
import type { JsonObject, Pdu } from '@lattice/protocol';
import type { PrismaClient } from '@lattice/storage';

/** server-server-api "Transactions": at most 50 PDUs and 100 EDUs each. */
const MAX_PDUS = 50;
const MAX_EDUS = 100;
/** How long a process holds a destination without renewing; a dead process's destinations pass on after it. */
const LEASE_MS = 60_000;
/** A held lease is renewed once less than this is left, so a busy sender keeps it without a write per transaction. */
const RENEW_MARGIN_MS = 30_000;

/** A transaction's worth of items for one destination, from one origin. */
export interface OutboxBatch {
  ids: bigint[];
  origin: string;
  pdus: Pdu[];
  edus: JsonObject[];
}

/**
 * The federation outbox in Postgres: what each destination has yet to
 * accept, in order, and which process sends to it (a lease, so one
 * transaction is in flight per destination across all processes).
 */
export class Outbox {
  /** When each lease this process holds is due for renewal (Date.now() time). */
  private readonly renewAt = new Map<string, number>();

  constructor(
    private readonly db: PrismaClient,
    private readonly owner: string,
  ) {}

  /** Queues a PDU (once per destination, however many processes queue it) or an EDU for some destinations. */
  async enqueue(destinations: string[], origin: string, item: OutboundItem): Promise<void> {
    await queueOutbound(this.db, destinations, origin, item);
  }

  /** Takes (or renews) this process's lease on a destination; false while another live process holds it. */
  async claim(destination: string): Promise<boolean> {
    if ((this.renewAt.get(destination) ?? 0) > Date.now()) return true;
    this.renewAt.delete(destination);
    await this.db.federationDestination.createMany({ data: [{ destination }], skipDuplicates: true });
    const now = Date.now();
    const { count } = await this.db.federationDestination.updateMany({
      where: { destination, OR: [{ owner: this.owner }, { owner: null }, { leaseUntil: { lt: new Date(now) } }] },
      data: { owner: this.owner, leaseUntil: new Date(now + LEASE_MS) },
    });
    if (count === 1) this.renewAt.set(destination, now + LEASE_MS - RENEW_MARGIN_MS);
    return count === 1;
  }

  /** Gives up this process's leases (at shutdown), so a restarted or other process takes over at once rather than after the lease runs out. */
  async releaseAll(): Promise<void> {
    this.renewAt.clear();
    await this.db.federationDestination.updateMany({
      where: { owner: this.owner },
      data: { owner: null, leaseUntil: null },
    });
  }

  /** The next transaction for a destination: the oldest items of one origin, within the limits. */
  async next(destination: string): Promise<OutboxBatch | undefined> {
    const rows = await this.db.federationOutbox.findMany({
      where: { destination },
      orderBy: { id: 'asc' },
      take: MAX_PDUS + MAX_EDUS,
    });
    if (rows.length === 0) return undefined;
    const batch: OutboxBatch = { ids: [], origin: rows[0].origin, pdus: [], edus: [] };
    for (const row of rows) {
      if (row.origin !== batch.origin) break;
      if (row.pdu !== null ? batch.pdus.length === MAX_PDUS : batch.edus.length === MAX_EDUS) break;
      if (row.pdu !== null) batch.pdus.push(JSON.parse(row.pdu) as Pdu);
      else batch.edus.push(JSON.parse(row.edu!) as JsonObject);
      batch.ids.push(row.id);
    }
    return batch;
  }

  async done(ids: bigint[]): Promise<void> {
    await this.db.federationOutbox.deleteMany({ where: { id: { in: ids } } });
  }

  /** The deepest queues, for the queue-depth metric. */
  async depths(limit: number): Promise<Array<{ destination: string; items: number }>> {
    const rows = await this.db.federationOutbox.groupBy({
      by: ['destination'],
      _count: { _all: true },
      orderBy: { _count: { destination: 'desc' } },
      take: limit,
    });
    return rows.map((r) => ({ destination: r.destination, items: r._count._all }));
  }

  /** Destinations with something waiting: on start, and periodically, so nothing queued is left behind. */
  async pendingDestinations(): Promise<string[]> {
    const rows = await this.db.federationOutbox.findMany({ distinct: ['destination'], select: { destination: true } });
    return rows.map((r) => r.destination);
  }
}
