import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import {
  POSITION_CACHE,
  PRISMA,
  allocateStreamPositions,
  type PositionCache,
  type PrismaClient,
} from '@lattice/storage';

/**
 * Changes to users' device lists (client-server-api "Tracking the device
 * list for a user"): one row per changed device at a position of the
 * device_lists stream, for local users (new or changed keys, a deleted or
 * renamed device) and for remote users (their server's
 * m.device_list_update). A local user's rows wait for the federation sender
 * to pass them on.
 */
@Injectable()
export class DeviceListStore {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async changed(userId: string, deviceIds: string[], origin: 'local' | 'remote'): Promise<void> {
    if (deviceIds.length === 0) return;
    const last = await this.db.$transaction(async (tx) => {
      const first = await allocateStreamPositions(tx, 'device_lists', deviceIds.length);
      const rows = deviceIds.map((deviceId, i) => ({
        streamPos: first + BigInt(i),
        userId,
        deviceId,
        pendingFederation: origin === 'local',
      }));
      await tx.deviceListChange.createMany({ data: rows });
      return rows[rows.length - 1].streamPos;
    });
    await this.positions.advance('device_lists', last);
    await this.bus.publish('output.streams', {
      stream: 'deviceLists',
      position: last.toString(),
      deviceListOf: userId,
    });
  }

  /**
   * A change of the user's cross-signing keys: everyone sharing a room with
   * them is told; other servers only when the master or self-signing key
   * changed (`federate`: m.signing_key_update), as the user-signing key is
   * the user's own business.
   */
  async signingKeysChanged(userId: string, origin: 'local' | 'remote', federate: boolean): Promise<void> {
    const last = await this.db.$transaction(async (tx) => {
      const streamPos = await allocateStreamPositions(tx, 'device_lists', 1);
      await tx.deviceListChange.create({
        data: { streamPos, userId, deviceId: '', signingKeys: true, pendingFederation: origin === 'local' && federate },
      });
      return streamPos;
    });
    await this.positions.advance('device_lists', last);
    await this.bus.publish('output.streams', {
      stream: 'deviceLists',
      position: last.toString(),
      deviceListOf: userId,
    });
  }

  /** The stream_id of a user's latest change (0 if none): what /user/devices answers, for later EDUs' prev_id to follow. */
  async latestStreamId(userId: string): Promise<bigint> {
    const row = await this.db.deviceListChange.findFirst({
      where: { userId, signingKeys: false },
      orderBy: { streamPos: 'desc' },
      select: { streamPos: true },
    });
    return row?.streamPos ?? 0n;
  }
}
