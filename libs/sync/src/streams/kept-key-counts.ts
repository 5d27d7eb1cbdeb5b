import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DeviceKeyStore, type DeviceKeyCounts } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';

interface Device {
  userId: string;
  deviceId: string;
}

/** Users whose devices' counts are kept at most, the oldest leaving first. */
const KEPT = 50_000;
/** Kept counts are read again after this long: a lost announcement leaves a device's counts stale no longer. */
const KEEP_MS = 60_000;

/**
 * Each syncing device's one-time key counts and unused fallback key types, kept between its syncs instead of
 * read for every answer. Every change of them is announced on output.oneTimeKeys (uploads of either kind of
 * key, claims of either kind) and output.sessions (devices deleted, keys with them), and forgets the user's
 * devices here. A read that an announcement overtook is not kept: it may be from before the change.
 */
@Injectable()
export class KeptKeyCounts implements OnModuleInit {
  /** By user, then device. */
  private readonly kept = new Map<string, Map<string, { counts: DeviceKeyCounts; at: number }>>();
  /** Announcements heard so far: a read is kept only when none came while it ran. */
  private announcements = 0;

  constructor(
    private readonly keys: DeviceKeyStore,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  onModuleInit(): void {
    this.bus.consume('output.oneTimeKeys', (e) => this.forget(e.userId));
    this.bus.consume('output.sessions', (e) => this.forget(e.userId));
  }

  /** The counts of each device, in the order asked: those kept, and the others in one read. */
  async countsOf(devices: Device[]): Promise<DeviceKeyCounts[]> {
    const now = Date.now();
    const counts = devices.map((d) => {
      const entry = this.kept.get(d.userId)?.get(d.deviceId);
      return entry && now - entry.at < KEEP_MS ? entry.counts : undefined;
    });
    const missing = devices.filter((_, i) => counts[i] === undefined);
    if (missing.length === 0) return counts as DeviceKeyCounts[];
    const heard = this.announcements;
    const read = await this.keys.syncCountsOf(missing);
    if (heard === this.announcements) missing.forEach((d, i) => this.keep(d, read[i], now));
    let next = 0;
    return counts.map((c) => c ?? read[next++]);
  }

  private keep({ userId, deviceId }: Device, counts: DeviceKeyCounts, at: number): void {
    const devices = this.kept.get(userId) ?? new Map<string, { counts: DeviceKeyCounts; at: number }>();
    this.kept.delete(userId);
    if (this.kept.size >= KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(userId, devices.set(deviceId, { counts, at }));
  }

  private forget(userId: string): void {
    this.announcements++;
    this.kept.delete(userId);
  }
}
