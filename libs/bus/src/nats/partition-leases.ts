import { Logger } from '@nestjs/common';
import type { KV } from 'nats';
import { leaseKey } from './names';

export interface LeaseHooks {
  /** The lease is ours: claim a writer epoch and start consuming the partition. */
  acquired(partition: number): Promise<void>;
  /** The lease is gone (released, or lost to expiry): stop consuming, and finish the message in hand. */
  lost(partition: number): Promise<void>;
}

export interface LeaseOptions {
  partitions: number;
  /** This replica's name in the buckets. */
  owner: string;
  /** How long a lease or heartbeat lives without renewal; renewals run every third of it. */
  ttlMs: number;
}

/**
 * Shares the room-input partitions among the live room-server replicas,
 * each partition held by at most one at a time. A lease is a key in a
 * JetStream KV bucket whose entries expire: it is won with `create` (fails if
 * someone holds it) and kept with `update` at the last revision seen (fails if
 * anyone else touched it), so two replicas never both believe they hold it.
 * Each replica aims at ceil(partitions / live replicas) and gives up the
 * excess, so a new replica gets its share without restarting the others, and
 * a dead one's partitions are taken over once its leases expire.
 */
export class PartitionLeases {
  private readonly logger = new Logger(PartitionLeases.name);
  private readonly held = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly leases: KV,
    private readonly members: KV,
    private readonly hooks: LeaseHooks,
    private readonly options: LeaseOptions,
  ) {}

  start(): void {
    const run = () => {
      this.ticking = this.tick().catch((e) => this.logger.error(`partition leases: ${(e as Error).message}`));
      void this.ticking.then(() => {
        if (!this.stopped) this.timer = setTimeout(run, this.options.ttlMs / 3);
      });
    };
    run();
  }

  get owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Gives every lease back at once, so the other replicas take over without waiting for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    for (const partition of this.owned) await this.release(partition);
    await this.members
      .delete(this.options.owner)
      .catch((e: unknown) =>
        this.logger.debug(`Membership entry not deleted on stop; it expires with its TTL: ${String(e)}`),
      );
  }

  private async tick(): Promise<void> {
    await this.members.put(this.options.owner, new TextEncoder().encode(String(Date.now())));
    await this.renew();
    const target = Math.ceil(this.options.partitions / (await this.liveReplicas()));
    for (const partition of this.owned.slice(target)) await this.release(partition);
    if (this.held.size < target) await this.acquire(target);
  }

  private async renew(): Promise<void> {
    for (const [partition, revision] of this.held) {
      try {
        this.held.set(partition, await this.leases.update(leaseKey(partition), this.value(), revision));
      } catch {
        this.held.delete(partition);
        await this.hooks.lost(partition);
      }
    }
  }

  private async acquire(target: number): Promise<void> {
    // Start at an offset of our own, so replicas starting together do not all race for partition 0.
    const offset =
      [...this.options.owner].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % this.options.partitions;
    for (let i = 0; i < this.options.partitions && this.held.size < target && !this.stopped; i++) {
      const partition = (offset + i) % this.options.partitions;
      if (this.held.has(partition)) continue;
      const revision = await this.leases
        .create(leaseKey(partition), this.value())
        .catch((e: unknown) => this.logger.debug(`Partition ${partition} is leased by another process: ${String(e)}`));
      if (revision === undefined) continue;
      this.held.set(partition, revision);
      try {
        await this.hooks.acquired(partition);
      } catch (e) {
        this.held.delete(partition);
        await this.leases
          .delete(leaseKey(partition), { previousSeq: revision })
          .catch((e: unknown) =>
            this.logger.debug(`Lease of partition ${partition} not given back; it expires with its TTL: ${String(e)}`),
          );
        throw e;
      }
    }
  }

  private async release(partition: number): Promise<void> {
    const revision = this.held.get(partition);
    this.held.delete(partition);
    await this.hooks.lost(partition);
    if (revision !== undefined)
      await this.leases
        .delete(leaseKey(partition), { previousSeq: revision })
        .catch((e: unknown) =>
          this.logger.debug(`Lease of partition ${partition} not given back; it expires with its TTL: ${String(e)}`),
        );
  }

  private async liveReplicas(): Promise<number> {
    let count = 0;
    for await (const key of await this.members.keys()) if (key) count++;
    return Math.max(count, 1);
  }

  private value(): Uint8Array {
    return new TextEncoder().encode(this.options.owner);
  }
}
