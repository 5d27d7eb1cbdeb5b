import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient } from '@lattice/storage';

/** Which part of a transaction body an item goes in. */
export type QueueItemKind = 'event' | 'ephemeral' | 'to_device' | 'device_lists' | 'otk_counts';

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
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async enqueue(items: readonly QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.insert(this.db, items);
  }

  /**
   * Queues the items of the room event at `position` and records it as routed, in one database
   * transaction: the catch-up of a start routes exactly the events after it, none twice.
   */
  async enqueueRouted(items: readonly QueueItem[], position: bigint): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await this.insert(tx, items);
      await tx.$executeRaw`
        INSERT INTO appservice_routed_position (stream, position) VALUES ('events', ${position})
        ON CONFLICT (stream) DO UPDATE SET position = GREATEST(appservice_routed_position.position, EXCLUDED.position)`;
    });
  }

  /** The last room-events position routed (single process); undefined before the first start that tracks it. */
  async routedPosition(): Promise<bigint | undefined> {
    return (await this.db.appserviceRoutedPosition.findUnique({ where: { stream: 'events' } }))?.position;
  }

  private async insert(db: Prisma.TransactionClient, items: readonly QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await db.appserviceQueueItem.createMany({
      data: items.map((i) => ({
        serverName: i.serverName,
        serviceId: i.serviceId,
        kind: i.kind,
        dedupKey: i.dedupKey ?? null,
        payload: i.payload,
      })),
      skipDuplicates: true,
    });
  }

  /**
   * Takes (or keeps) the service for this sender until `leaseMs` from now:
   * one sender per service, so its transactions leave one at a time, in order.
   */
  async lease(serverName: string, serviceId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    await this.db.appserviceSenderState.upsert({
      where: { serverName_serviceId: { serverName, serviceId } },
      create: { serverName, serviceId },
      update: {},
    });
    const taken = await this.db.appserviceSenderState.updateMany({
      where: {
        serverName,
        serviceId,
        OR: [{ owner }, { owner: null }, { leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { owner, leaseUntil: new Date(now.getTime() + leaseMs) },
    });
    return taken.count === 1;
  }

  async release(serverName: string, serviceId: string, owner: string): Promise<void> {
    await this.db.appserviceSenderState.updateMany({
      where: { serverName, serviceId, owner },
      data: { owner: null, leaseUntil: null },
    });
  }

  /** The transaction made earlier and not accepted yet (after a failure or a restart), to send again as it was. */
  async unaccepted(serverName: string, serviceId: string): Promise<QueuedTransaction | undefined> {
    const first = await this.db.appserviceQueueItem.findFirst({
      where: { serverName, serviceId, txnId: { not: null } },
      orderBy: { seq: 'asc' },
      select: { txnId: true },
    });
    if (!first?.txnId) return undefined;
    const rows = await this.db.appserviceQueueItem.findMany({
      where: { serverName, serviceId, txnId: first.txnId },
      orderBy: { seq: 'asc' },
      select: { kind: true, payload: true },
    });
    return { txnId: first.txnId, items: rows.map((r) => ({ kind: r.kind as QueueItemKind, payload: r.payload })) };
  }

  /**
   * A new transaction of the oldest unsent items (at most maxItems): the next transaction ID is taken
   * and stamped on them in one statement, so a sender's loop costs one round trip per transaction
   * beside the request itself. Undefined when nothing waits (the ID taken is then unused: IDs need
   * only be unique, not dense). Call it only when `unaccepted` found nothing.
   */
  async newTransaction(
    serverName: string,
    serviceId: string,
    maxItems: number,
  ): Promise<QueuedTransaction | undefined> {
    const rows = await this.db.$queryRaw<
      Array<{ seq: bigint; kind: string; payload: Prisma.JsonValue; txn_id: bigint }>
    >`
      WITH txn AS (
        INSERT INTO appservice_sender_state (server_name, service_id, last_txn_id) VALUES (${serverName}, ${serviceId}, 1)
        ON CONFLICT (server_name, service_id) DO UPDATE SET last_txn_id = appservice_sender_state.last_txn_id + 1
        RETURNING last_txn_id
      ), next AS (
        SELECT seq FROM appservice_queue WHERE server_name = ${serverName} AND service_id = ${serviceId} AND txn_id IS NULL ORDER BY seq LIMIT ${maxItems}
      )
      UPDATE appservice_queue q SET txn_id = (SELECT last_txn_id FROM txn) FROM next WHERE q.seq = next.seq
      RETURNING q.seq, q.kind, q.payload, q.txn_id`;
    if (rows.length === 0) return undefined;
    rows.sort((a, b) => (a.seq < b.seq ? -1 : 1));
    return { txnId: rows[0].txn_id, items: rows.map((r) => ({ kind: r.kind as QueueItemKind, payload: r.payload })) };
  }

  async accepted(serverName: string, serviceId: string, txnId: bigint): Promise<void> {
    await this.db.appserviceQueueItem.deleteMany({ where: { serverName, serviceId, txnId } });
  }
}
