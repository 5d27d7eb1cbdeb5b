import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { sameSignedContent, withSignatures, type SignatureMap } from './cross-signing';

/** user ID -> device IDs wanted (empty: every device). */
export type DeviceKeyQuery = Record<string, string[]>;
/** user ID -> device ID -> algorithm of the one-time key wanted. */
export type OneTimeKeyClaim = Record<string, Record<string, string>>;

/** What a /sync tells a device of its keys: one-time keys left per algorithm, and fallback key algorithms unused. */
export interface DeviceKeyCounts {
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
}

/**
 * End-to-end encryption keys of this deployment's devices: identity keys,
 * one-time keys and fallback keys (client-server-api "End-to-End
 * Encryption"), read by local clients and, over federation, by other servers.
 */
@Injectable()
export class DeviceKeyStore {
  /** `bus`: where writers announce one-time-key changes (output.oneTimeKeys); readers need none. */
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus?: Bus,
  ) {}

  /**
   * Stores what a device uploads; answers the counts of its unclaimed
   * one-time keys and whether its identity keys changed (a device-list change).
   */
  async upload(
    userId: string,
    deviceId: string,
    upload: { deviceKeys?: JsonObject; oneTimeKeys?: JsonObject; fallbackKeys?: JsonObject },
  ): Promise<{ oneTimeKeyCounts: Record<string, number>; deviceKeysChanged: boolean }> {
    let deviceKeysChanged = false;
    if (upload.deviceKeys) {
      const previous = await this.db.deviceKeys.findUnique({
        where: { userId_deviceId: { userId, deviceId } },
        select: { keys: true },
      });
      const before = previous ? (JSON.parse(previous.keys) as JsonObject) : undefined;
      // The same identity keys uploaded again keep the signatures added since (the self-signing key's).
      const keys = JSON.stringify(
        before && sameSignedContent(before, upload.deviceKeys)
          ? withAllSignatures(upload.deviceKeys, before)
          : upload.deviceKeys,
      );
      deviceKeysChanged = previous?.keys !== keys;
      await this.db.deviceKeys.upsert({
        where: { userId_deviceId: { userId, deviceId } },
        create: { userId, deviceId, keys },
        update: { keys, updatedAt: new Date() },
      });
    }
    const rows = (keys: JsonObject | undefined, fallback: boolean) =>
      Object.entries(keys ?? {}).map(([keyId, key]) => ({
        userId,
        deviceId,
        keyId,
        algorithm: keyId.split(':')[0],
        key: JSON.stringify(key),
        fallback,
      }));
    if (upload.oneTimeKeys)
      await this.db.oneTimeKey.createMany({ data: rows(upload.oneTimeKeys, false), skipDuplicates: true });
    if (upload.fallbackKeys) {
      // A new fallback key replaces the previous one of its algorithm.
      const fresh = rows(upload.fallbackKeys, true);
      await this.db.oneTimeKey.deleteMany({
        where: { userId, deviceId, fallback: true, algorithm: { in: fresh.map((r) => r.algorithm) } },
      });
      await this.db.oneTimeKey.createMany({ data: fresh, skipDuplicates: true });
    }
    if (upload.oneTimeKeys || upload.fallbackKeys) await this.bus?.publish('output.oneTimeKeys', { userId, deviceId });
    return { oneTimeKeyCounts: await this.oneTimeKeyCounts(userId, deviceId), deviceKeysChanged };
  }

  async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
    const groups = await this.db.oneTimeKey.groupBy({
      by: ['algorithm'],
      where: { userId, deviceId, fallback: false },
      _count: { _all: true },
    });
    return Object.fromEntries(groups.map((g) => [g.algorithm, g._count._all]));
  }

  /**
   * What every /sync tells a device of its keys, in one read: its one-time
   * keys left per algorithm (device_one_time_keys_count) and the algorithms
   * of its fallback keys no claim has handed out yet
   * (device_unused_fallback_key_types).
   */
  async syncCounts(userId: string, deviceId: string): Promise<DeviceKeyCounts> {
    return (await this.syncCountsOf([{ userId, deviceId }]))[0];
  }

  /** syncCounts() of many devices in one read; answers in the order asked. */
  async syncCountsOf(devices: Array<{ userId: string; deviceId: string }>): Promise<DeviceKeyCounts[]> {
    const counts = devices.map((): DeviceKeyCounts => ({ oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] }));
    if (devices.length === 0) return counts;
    const groups = await this.db.$queryRawUnsafe<Array<{ i: number; algorithm: string; fallback: boolean; n: number }>>(
      `SELECT q.i, k.algorithm, k.fallback, count(*)::int AS n
       FROM unnest($1::text[], $2::text[], $3::int[]) AS q(user_id, device_id, i)
       JOIN one_time_keys k ON k.user_id = q.user_id AND k.device_id = q.device_id
       WHERE NOT k.fallback OR NOT k.used GROUP BY q.i, k.algorithm, k.fallback`,
      devices.map((d) => d.userId),
      devices.map((d) => d.deviceId),
      devices.map((_, i) => i),
    );
    for (const g of groups) {
      const device = counts[Number(g.i)];
      if (g.fallback) device.unusedFallbackKeyTypes.push(g.algorithm);
      else device.oneTimeKeyCounts[g.algorithm] = Number(g.n);
    }
    return counts;
  }

  /** A user's devices' identity keys, by device ID. */
  async keysOf(userId: string): Promise<Record<string, JsonObject>> {
    const rows = await this.db.deviceKeys.findMany({ where: { userId } });
    return Object.fromEntries(rows.map((r) => [r.deviceId, JSON.parse(r.keys) as JsonObject]));
  }

  /** Adds the user's own signatures (their self-signing key's) to a device's identity keys. */
  async addSignatures(userId: string, deviceId: string, signatures: SignatureMap): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const row = await tx.deviceKeys.findUnique({ where: { userId_deviceId: { userId, deviceId } } });
      if (!row) return;
      const keys = JSON.stringify(withSignatures(JSON.parse(row.keys) as JsonObject, userId, signatures));
      await tx.deviceKeys.update({
        where: { userId_deviceId: { userId, deviceId } },
        data: { keys, updatedAt: new Date() },
      });
    });
  }

  /** The identity keys of the devices asked for: user ID -> device ID -> signed device keys. */
  async query(wanted: DeviceKeyQuery): Promise<Record<string, Record<string, JsonObject>>> {
    const result: Record<string, Record<string, JsonObject>> = {};
    for (const [userId, deviceIds] of Object.entries(wanted)) {
      const rows = await this.db.deviceKeys.findMany({
        where: { userId, ...(deviceIds.length ? { deviceId: { in: deviceIds } } : {}) },
      });
      const names = new Map(
        (await this.db.device.findMany({ where: { userId } })).map((d) => [d.deviceId, d.displayName]),
      );
      result[userId] = Object.fromEntries(
        rows.map((r) => {
          const keys = JSON.parse(r.keys) as JsonObject;
          const name = names.get(r.deviceId);
          return [r.deviceId, name ? { ...keys, unsigned: { device_display_name: name } } : keys];
        }),
      );
    }
    return result;
  }

  /** Claims one key per device asked: the oldest one-time key (consumed, MSC4225 order) if one is left, else the fallback key (kept). */
  async claim(wanted: OneTimeKeyClaim): Promise<Record<string, Record<string, JsonObject>>> {
    const result: Record<string, Record<string, JsonObject>> = {};
    for (const [userId, devices] of Object.entries(wanted)) {
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const key = await this.db.$transaction(async (tx) => {
          const oneTime = await tx.oneTimeKey.findFirst({
            where: { userId, deviceId, algorithm, fallback: false },
            orderBy: { uploadSeq: 'asc' },
          });
          if (oneTime) {
            await tx.oneTimeKey.delete({
              where: { userId_deviceId_keyId: { userId, deviceId, keyId: oneTime.keyId } },
            });
            return oneTime;
          }
          const fallback = await tx.oneTimeKey.findFirst({ where: { userId, deviceId, algorithm, fallback: true } });
          if (fallback && !fallback.used)
            await tx.oneTimeKey.update({
              where: { userId_deviceId_keyId: { userId, deviceId, keyId: fallback.keyId } },
              data: { used: true },
            });
          return fallback;
        });
        if (key) (result[userId] ??= {})[deviceId] = { [key.keyId]: JSON.parse(key.key) };
        // A fallback key claimed before was used already: its claim again changes nothing.
        if (key && !(key.fallback && key.used)) await this.bus?.publish('output.oneTimeKeys', { userId, deviceId });
      }
    }
    return result;
  }
}

/** `object` carrying every signature of `from` too (its own win where both signed with one key). */
function withAllSignatures(object: JsonObject, from: JsonObject): JsonObject {
  const earlier = (from.signatures as Record<string, SignatureMap> | undefined) ?? {};
  return Object.entries(earlier).reduce(
    (signed, [signer, signatures]) =>
      withSignatures(signed, signer, {
        ...signatures,
        ...((signed.signatures as Record<string, SignatureMap> | undefined)?.[signer] ?? {}),
      }),
    object,
  );
}
