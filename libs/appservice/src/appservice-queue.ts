import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database, type Prisma, type PrismaClient } from '@lattice/storage';

/** Which part of a transaction body an item goes in. */
export type QueueItemKind = 'event' | 'ephemeral' | 'to_device' | 'device_lists';

export interface QueueItem {
  serverName: string;
  serviceId: string;
  kind: QueueItemKind;
  /** An event's ID: the same event queued twice (an output message delivered again) is kept once. */
  dedupKey?: string;
  payload: Prisma.InputJsonValue;
}

export interface QueuedTransaction {
  txnId: bigint;
  items: Array<{ kind: QueueItemKind; payload: Prisma.JsonValue }>;
}

/**
 * Each application service's queue (`appservice_queue`) and its
 * transactions. A transaction is made by stamping the oldest unsent items
 * with the next transaction ID in one database transaction, before anything
 * is sent: until the service accepts it, the same items go again under the
 * same ID (application-service-api "Pushing events": a retry must not add
 * events), after a restart too. Accepted, its items are deleted.
 */
@Injectable()
export class AppserviceQueue {
  private readonly db: PrismaClient;

  constructor(@Inject(DATABASE) database: Database) {
    this.db = database.prisma;
  }

  async enqueue(items: readonly QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.appserviceQueueItem.createMany({
      data: items.map((i) => ({ serverName: i.serverName, serviceId: i.serviceId, kind: i.kind, dedupKey: i.dedupKey ?? null, payload: i.payload })),
      skipDuplicates: true,
    });
  }

  /**
   * Takes (or keeps) the service for this sender until `leaseMs` from now:
   * one sender per service, so its transactions leave one at a time, in order.
   */
  async lease(serverName: string, serviceId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    await this.db.appserviceSenderState.upsert({ where: { serverName_serviceId: { serverName, serviceId } }, create: { serverName, serviceId }, update: {} });
    const taken = await this.db.appserviceSenderState.updateMany({
      where: { serverName, serviceId, OR: [{ owner }, { owner: null }, { leaseUntil: null }, { leaseUntil: { lt: now } }] },
      data: { owner, leaseUntil: new Date(now.getTime() + leaseMs) },
    });
    return taken.count === 1;
  }

  async release(serverName: string, serviceId: string, owner: string): Promise<void> {
    await this.db.appserviceSenderState.updateMany({ where: { serverName, serviceId, owner }, data: { owner: null, leaseUntil: null } });
  }

  /** The transaction to send now: the one made earlier and not yet accepted, else a new one of the oldest items; undefined when the queue is empty. */
  async nextTransaction(serverName: string, serviceId: string, maxItems: number): Promise<QueuedTransaction | undefined> {
    return this.db.$transaction(async (tx) => {
      const unaccepted = await tx.appserviceQueueItem.findFirst({ where: { serverName, serviceId, txnId: { not: null } }, orderBy: { seq: 'asc' }, select: { txnId: true } });
      if (unaccepted?.txnId) return { txnId: unaccepted.txnId, items: await this.itemsOf(tx, serverName, serviceId, unaccepted.txnId) };
      const next = await tx.appserviceQueueItem.findMany({ where: { serverName, serviceId, txnId: null }, orderBy: { seq: 'asc' }, take: maxItems, select: { seq: true } });
      if (next.length === 0) return undefined;
      const state = await tx.appserviceSenderState.upsert({
        where: { serverName_serviceId: { serverName, serviceId } },
        create: { serverName, serviceId, lastTxnId: 1n },
        update: { lastTxnId: { increment: 1 } },
      });
      await tx.appserviceQueueItem.updateMany({ where: { seq: { in: next.map((n) => n.seq) } }, data: { txnId: state.lastTxnId } });
      return { txnId: state.lastTxnId, items: await this.itemsOf(tx, serverName, serviceId, state.lastTxnId) };
    });
  }

  async accepted(serverName: string, serviceId: string, txnId: bigint): Promise<void> {
    await this.db.appserviceQueueItem.deleteMany({ where: { serverName, serviceId, txnId } });
  }

  /** How many items wait for a service, the one in flight included (the bench and tests watch it drain). */
  async depth(serverName: string, serviceId: string): Promise<number> {
    return this.db.appserviceQueueItem.count({ where: { serverName, serviceId } });
  }

  private async itemsOf(tx: Prisma.TransactionClient, serverName: string, serviceId: string, txnId: bigint) {
    const rows = await tx.appserviceQueueItem.findMany({ where: { serverName, serviceId, txnId }, orderBy: { seq: 'asc' }, select: { kind: true, payload: true } });
    return rows.map((r) => ({ kind: r.kind as QueueItemKind, payload: r.payload }));
  }
}
