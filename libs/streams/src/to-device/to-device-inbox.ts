import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { JsonObject } from '@lattice/protocol';
import {
  POSITION_CACHE,
  PRISMA,
  allocateStreamPositions,
  type PositionCache,
  type Prisma,
  type PrismaClient,
} from '@lattice/storage';
import { inboxPage, TO_DEVICE_PER_SYNC } from './inbox-page';
import { expandRecipients, type AddressedToDevice } from './to-device-recipients';

/** Devices whose acknowledged position a process remembers (the oldest forgotten first). */
const REMEMBERED_DEVICES = 10_000;

/** Runs inside the delivery's transaction; false means "already delivered once": nothing is stored. */
export type DeliveryClaim = (tx: Prisma.TransactionClient) => Promise<boolean>;

/**
 * The to-device inboxes of this deployment's devices (client-server-api
 * "Send-to-Device messaging"): written by /sendToDevice and by inbound
 * m.direct_to_device EDUs, read by /sync, emptied as devices acknowledge.
 */
@Injectable()
export class ToDeviceInbox {
  /** Per device, the highest position this process has deleted up to. */
  private readonly acknowledged = new Map<string, bigint>();

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /**
   * Stores the messages for their devices in one transaction, behind
   * `claim` (the sender's transaction ID or the EDU's message_id), so a
   * request or EDU sent again delivers nothing twice; then wakes the
   * recipients' long-polls. False if the claim said it was a repeat.
   */
  async deliver(messages: AddressedToDevice[], claim: DeliveryClaim): Promise<boolean> {
    const users = [...new Set(messages.map((m) => m.userId))];
    const stored = await this.db.$transaction(async (tx) => {
      if (!(await claim(tx))) return undefined;
      const devices = await tx.device.findMany({
        where: { userId: { in: users } },
        select: { userId: true, deviceId: true },
      });
      const devicesOf = new Map<string, string[]>();
      for (const d of devices) devicesOf.set(d.userId, [...(devicesOf.get(d.userId) ?? []), d.deviceId]);
      const inbox = expandRecipients(messages, devicesOf);
      if (inbox.length === 0) return { first: 0n, last: 0n };
      const first = await allocateStreamPositions(tx, 'to_device', inbox.length);
      await tx.toDeviceMessage.createMany({
        data: inbox.map((m, i) => ({
          streamPos: first + BigInt(i),
          userId: m.userId,
          deviceId: m.deviceId,
          sender: m.sender,
          type: m.type,
          content: JSON.stringify(m.content),
        })),
      });
      return { first, last: first + BigInt(inbox.length - 1) };
    });
    if (!stored) return false;
    if (stored.last > 0n) {
      await this.positions.advance('to_device', stored.last);
      await this.bus.publish('output.streams', {
        stream: 'toDevice',
        position: stored.last.toString(),
        firstPosition: stored.first.toString(),
        userIds: users,
      });
    }
    return true;
  }

  /**
   * A sync of a device: first drops what its `since` acknowledges (spec:
   * messages are deleted once the client syncs with the next_batch that
   * carried them), then hands out the next page after it.
   */
  async collect(
    userId: string,
    deviceId: string,
    since: bigint | undefined,
    upTo: bigint,
  ): Promise<{ events: JsonObject[]; next: bigint }> {
    const device = JSON.stringify([userId, deviceId]);
    // A long-poll repeats its since token: what it acknowledges is deleted once per process, not on every sync.
    if (since !== undefined && since > (this.acknowledged.get(device) ?? -1n)) {
      await this.db.toDeviceMessage.deleteMany({ where: { userId, deviceId, streamPos: { lte: since } } });
      if (this.acknowledged.size >= REMEMBERED_DEVICES)
        this.acknowledged.delete(this.acknowledged.keys().next().value!);
      this.acknowledged.set(device, since);
    }
    if (upTo <= (since ?? 0n)) return { events: [], next: upTo };
    const rows = await this.db.toDeviceMessage.findMany({
      where: { userId, deviceId, streamPos: { gt: since ?? 0n, lte: upTo } },
      orderBy: { streamPos: 'asc' },
      take: TO_DEVICE_PER_SYNC,
    });
    const page = inboxPage(rows, upTo);
    return {
      events: page.messages.map((m) => ({
        sender: m.sender,
        type: m.type,
        content: JSON.parse(m.content) as JsonObject,
      })),
      next: page.next,
    };
  }
}
