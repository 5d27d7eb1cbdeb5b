import { queueOutbound } from '@lattice/federation';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import type { PrismaClient } from '@lattice/storage';

/** Pending changes read at a time. */
const BATCH = 100;

export interface DeviceListUpdate {
  userId: string;
  deviceId: string;
  streamId: bigint;
  /** The user's previous update, which this one follows (none for the first). */
  prevId: bigint | undefined;
  /** Absent when the device was deleted. */
  device: { displayName: string | null; keys: JsonObject | undefined } | undefined;
}

/** server-server-api "Device Management": the m.device_list_update EDU of one changed device. */
export function deviceListUpdateEdu(update: DeviceListUpdate): JsonObject {
  return {
    edu_type: 'm.device_list_update',
    content: {
      user_id: update.userId,
      device_id: update.deviceId,
      stream_id: Number(update.streamId),
      // Updates are queued one after another, so each refers to exactly the one before it.
      prev_id: update.prevId === undefined ? [] : [Number(update.prevId)],
      ...(update.device ? {} : { deleted: true }),
      ...(update.device?.displayName ? { device_display_name: update.device.displayName } : {}),
      ...(update.device?.keys ? { keys: update.device.keys } : {}),
    },
  };
}

/**
 * server-server-api "Cross-signing": the m.signing_key_update EDU of a
 * user's master and self-signing keys (the user-signing key is never sent).
 */
export function signingKeyUpdateEdu(
  userId: string,
  keys: { master?: JsonObject; self_signing?: JsonObject },
): JsonObject {
  return {
    edu_type: 'm.signing_key_update',
    content: {
      user_id: userId,
      ...(keys.master ? { master_key: keys.master } : {}),
      ...(keys.self_signing ? { self_signing_key: keys.self_signing } : {}),
    },
  };
}

/**
 * Passes local users' device-list changes on to the servers sharing a room
 * with them: each pending change becomes an m.device_list_update EDU in the
 * federation outbox (keyed by its stream_id, so two processes doing this at
 * once queue it once), then stops being pending.
 */
export class DeviceListUpdates {
  constructor(
    private readonly db: PrismaClient,
    private readonly serversSharingWith: (userId: string) => Promise<string[]>,
  ) {}

  /** Queues the pending changes, a batch at a time until none is left; answers the destinations that got something. */
  async queuePending(): Promise<string[]> {
    const destinations = new Set<string>();
    for (;;) {
      const pending = await this.db.deviceListChange.findMany({
        where: { pendingFederation: true },
        orderBy: { streamPos: 'asc' },
        take: BATCH,
      });
      for (const change of pending) {
        const servers = await this.serversSharingWith(change.userId);
        const edu = change.signingKeys
          ? await this.signingKeyUpdate(change.userId)
          : deviceListUpdateEdu(await this.update(change));
        await queueOutbound(this.db, servers, serverNameOf(change.userId)!, {
          edu,
          dedupKey: `${edu.edu_type as string}:${change.streamPos}`,
        });
        await this.db.deviceListChange.update({
          where: { streamPos: change.streamPos },
          data: { pendingFederation: false },
        });
        servers.forEach((s) => destinations.add(s));
      }
      if (pending.length < BATCH) return [...destinations];
    }
  }

  /** The user's master and self-signing keys as they are now (a later change sends them again). */
  private async signingKeyUpdate(userId: string): Promise<JsonObject> {
    const rows = await this.db.crossSigningKey.findMany({
      where: { userId, keyType: { in: ['master', 'self_signing'] } },
    });
    return signingKeyUpdateEdu(
      userId,
      Object.fromEntries(rows.map((r) => [r.keyType, JSON.parse(r.keyJson) as JsonObject])),
    );
  }

  private async update(change: { userId: string; deviceId: string; streamPos: bigint }): Promise<DeviceListUpdate> {
    const key = { userId_deviceId: { userId: change.userId, deviceId: change.deviceId } };
    const [previous, device, keys] = await Promise.all([
      // m.signing_key_update has no stream_id: device updates follow on from the user's previous device update.
      this.db.deviceListChange.findFirst({
        where: { userId: change.userId, signingKeys: false, streamPos: { lt: change.streamPos } },
        orderBy: { streamPos: 'desc' },
        select: { streamPos: true },
      }),
      this.db.device.findUnique({ where: key }),
      this.db.deviceKeys.findUnique({ where: key }),
    ]);
    return {
      userId: change.userId,
      deviceId: change.deviceId,
      streamId: change.streamPos,
      prevId: previous?.streamPos,
      device: device
        ? { displayName: device.displayName, keys: keys ? (JSON.parse(keys.keys) as JsonObject) : undefined }
        : undefined,
    };
  }
}
