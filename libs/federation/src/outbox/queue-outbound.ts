import { randomUUID } from 'node:crypto';
import type { JsonObject, Pdu } from '@lattice/protocol';
import type { Prisma } from '@lattice/storage';

/**
 * What the federation outbox carries: a PDU (queued once per destination
 * however many processes queue it), or an EDU, which a `dedupKey` makes
 * just as idempotent when its producer may queue it again after a crash.
 */
export type OutboundItem = { pdu: Pdu; eventId: string } | { edu: JsonObject; dedupKey?: string };

/**
 * Queues an item in the federation outbox (federation_outbox) for some
 * destinations, from any process: the federation sender sends what it finds
 * there, at the latest at its next sweep.
 */
export async function queueOutbound(
  db: Prisma.TransactionClient,
  destinations: string[],
  origin: string,
  item: OutboundItem,
): Promise<void> {
  if (destinations.length === 0) return;
  const dedupKey = 'pdu' in item ? item.eventId : (item.dedupKey ?? randomUUID());
  const payload = 'pdu' in item ? { pdu: JSON.stringify(item.pdu) } : { edu: JSON.stringify(item.edu) };
  await db.federationOutbox.createMany({
    data: destinations.map((destination) => ({ destination, origin, dedupKey, ...payload })),
    skipDuplicates: true,
  });
}
