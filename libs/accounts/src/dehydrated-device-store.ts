import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** client-server-api: "100 messages is recommended as a reasonable limit" per batch of to-device messages. */
export const DEHYDRATED_EVENTS_PER_BATCH = 100;

export interface DehydratedEventsPage {
  events: { sender: string; type: string; content: JsonObject }[];
  next_batch?: string;
}

/**
 * Each user's dehydrated device (MSC3814). The device itself is an ordinary
 * `devices` row, so its keys, one-time keys and to-device inbox are those of
 * any device; this store keeps which device it is and its opaque data.
 */
@Injectable()
export class DehydratedDeviceStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /**
   * The user's dehydrated device, if it still exists: signing out every other
   * device (a password change) deletes its `devices` row without this one.
   */
  async get(userId: string): Promise<{ deviceId: string; deviceData: JsonObject } | null> {
    const row = await this.db.dehydratedDevice.findUnique({ where: { userId } });
    if (!row) return null;
    const device = await this.db.device.findUnique({
      where: { userId_deviceId: { userId, deviceId: row.deviceId } },
      select: { deviceId: true },
    });
    return device ? { deviceId: row.deviceId, deviceData: JSON.parse(row.deviceData) as JsonObject } : null;
  }

  /** Whether `deviceId` names a device of the user that is not its dehydrated device. */
  async isOrdinaryDevice(userId: string, deviceId: string): Promise<boolean> {
    const [device, dehydrated] = await Promise.all([
      this.db.device.findUnique({ where: { userId_deviceId: { userId, deviceId } }, select: { deviceId: true } }),
      this.db.dehydratedDevice.findUnique({ where: { userId }, select: { deviceId: true } }),
    ]);
    return device !== null && dehydrated?.deviceId !== deviceId;
  }

  /** Records the new dehydrated device; the caller has deleted the previous one and its keys. */
  async put(userId: string, deviceId: string, deviceData: JsonObject, displayName: string | undefined): Promise<void> {
    const data = JSON.stringify(deviceData);
    await this.db.$transaction([
      this.db.dehydratedDevice.upsert({
        where: { userId },
        create: { userId, deviceId, deviceData: data },
        update: { deviceId, deviceData: data, createdAt: new Date() },
      }),
      this.db.device.create({ data: { userId, deviceId, displayName: displayName ?? null } }),
    ]);
  }

  async forget(userId: string): Promise<void> {
    await this.db.dehydratedDevice.deleteMany({ where: { userId } });
  }

  /**
   * One batch of the dehydrated device's to-device messages after `after`
   * (MSC3814: the messages before the `next_batch` a client sends back are
   * deleted, since it has them). An empty batch has no next_batch: that is
   * how the client knows it has everything.
   */
  async events(userId: string, deviceId: string, after: bigint | undefined): Promise<DehydratedEventsPage> {
    if (after !== undefined)
      await this.db.toDeviceMessage.deleteMany({ where: { userId, deviceId, streamPos: { lte: after } } });
    const rows = await this.db.toDeviceMessage.findMany({
      where: { userId, deviceId, ...(after !== undefined ? { streamPos: { gt: after } } : {}) },
      orderBy: { streamPos: 'asc' },
      take: DEHYDRATED_EVENTS_PER_BATCH,
    });
    const events = rows.map((r) => ({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as JsonObject }));
    return rows.length === 0 ? { events } : { events, next_batch: rows[rows.length - 1].streamPos.toString() };
  }
}
