import type { PrismaClient } from '@lattice/storage';

/** How long a process routes without renewing; a dead router's work passes on after it. */
const LEASE_SECONDS = 60;
/** Renew when less than this is left, so a busy router never lets its lease lapse between passes. */
const RENEW_MARGIN_MS = 30_000;

/**
 * Where the federation sender is in the events stream: every event at or
 * below the routed position has been put in the outbox. One process routes
 * at a time (a lease in the same row); the position lives in Postgres, so
 * events persisted while no sender ran (a crash, a restart, a deployment
 * with the federation-api scaled to zero) are routed when one starts.
 */
export class RoutingCursor {
  private position: bigint | undefined;
  private renewAt = 0;

  constructor(
    private readonly db: PrismaClient,
    private readonly owner: string,
  ) {}

  /** The routed position if this process holds (or has just taken) the lease; undefined while another live process does. */
  async claim(): Promise<bigint | undefined> {
    if (this.position !== undefined && Date.now() < this.renewAt) return this.position;
    // Database time for the lease, so replicas with skewed clocks agree on who holds it.
    const rows = await this.db.$queryRawUnsafe<Array<{ routed_pos: bigint }>>(
      `UPDATE federation_routing SET owner = $1, lease_until = now() + make_interval(secs => $2)
       WHERE stream = 'events' AND (owner = $1 OR owner IS NULL OR lease_until < now()) RETURNING routed_pos`,
      this.owner,
      LEASE_SECONDS,
    );
    if (rows.length === 0) {
      this.position = undefined;
      return undefined;
    }
    // Someone else may have routed since we last held it: their position is the truth.
    this.position = BigInt(rows[0].routed_pos);
    this.renewAt = Date.now() + LEASE_SECONDS * 1000 - RENEW_MARGIN_MS;
    return this.position;
  }

  /** Records that everything up to `position` is in the outbox (only while holding the lease). */
  async advance(position: bigint): Promise<void> {
    if (this.position !== undefined && position <= this.position) return;
    const { count } = await this.db.federationRouting.updateMany({
      where: { stream: 'events', owner: this.owner },
      data: { routedPos: position },
    });
    this.position = count === 1 ? position : undefined;
  }

  /** Gives the lease up (at shutdown), so another process takes over at once. */
  async release(): Promise<void> {
    this.position = undefined;
    await this.db.federationRouting.updateMany({
      where: { stream: 'events', owner: this.owner },
      data: { owner: null, leaseUntil: null },
    });
  }
}
