import { Inject, Injectable, Optional } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { Errors } from '@lattice/http';
import { hashPassword, verifyPassword } from './passwords';
import { hashAccessToken, newAccessToken, newDeviceId, newRefreshToken, tokenExpired } from './tokens';
import { userIdOf, validateNewLocalpart } from './localpart';
import { TokenCache, type TokenOwner } from './token-cache';
import { DeviceListStore } from './device-list-store';

/** An account as server admins moderate it (client-server-api "Server Administration"). */
export interface AccountModeration {
  isAdmin: boolean;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean;
}

/** How stale a device's last_seen may get: a request writes it at most this often per device and process. */
const LAST_SEEN_EVERY_MS = 5 * 60_000;
/** Devices whose last write this process remembers, at most. */
const LAST_SEEN_ENTRIES = 100_000;

export interface Session {
  userId: string;
  deviceId: string;
  accessToken: string;
  /** Only for clients that asked for one; their access token then expires after `expiresInMs`. */
  refreshToken?: string;
  expiresInMs?: number;
}

export interface NewDevice {
  deviceId?: string;
  displayName?: string;
  /** The client supports refresh tokens (`refresh_token: true` on /login or /register). */
  refreshable?: boolean;
}

export interface AccountStoreOptions {
  /** How long an access token issued with a refresh token lives. */
  accessTokenLifetimeMs: number;
}

/** Dependency-injection token of the AccountStoreOptions (from the configuration's auth section). */
export const ACCOUNT_STORE_OPTIONS = Symbol('AccountStoreOptions');

/**
 * Users, devices and access tokens of every tenant. The only writer of
 * those tables; the client-api, sync and media services all resolve tokens
 * through it, from a cache that every process drops a user's entries from
 * when that user's tokens are revoked (`output.sessions`).
 */
@Injectable()
export class AccountStore {
  private readonly tokens = new TokenCache();
  private readonly lastSeenWritten = new Map<string, number>();

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    private readonly deviceLists: DeviceListStore,
    @Optional()
    @Inject(ACCOUNT_STORE_OPTIONS)
    private readonly options: AccountStoreOptions = { accessTokenLifetimeMs: 300_000 },
  ) {
    bus.consume('output.sessions', ({ userId }) => this.tokens.forgetUser(userId));
  }

  async isLocalpartAvailable(serverName: string, localpart: string): Promise<boolean> {
    validateNewLocalpart(localpart, serverName);
    const existing = await this.db.user.findUnique({ where: { userId: userIdOf(localpart, serverName) } });
    return existing === null;
  }

  /** Creates the account; M_USER_IN_USE if the user ID exists (also when two registrations race). */
  async createUser(
    serverName: string,
    localpart: string,
    password: string | undefined,
    options: { guest?: boolean } = {},
  ): Promise<string> {
    validateNewLocalpart(localpart, serverName);
    const userId = userIdOf(localpart, serverName);
    const passwordHash = password === undefined ? null : await hashPassword(password);
    try {
      await this.db.user.create({
        data: { userId, serverName, localpart, passwordHash, isGuest: options.guest === true },
      });
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') throw Errors.userInUse();
      throw e;
    }
    return userId;
  }

  /** A localpart nobody has, for registrations that did not ask for one. */
  async generateLocalpart(serverName: string): Promise<string> {
    for (;;) {
      const candidate = `u${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
      if (await this.isLocalpartAvailable(serverName, candidate)) return candidate;
    }
  }

  /** A guest becomes a full account, keeping its user ID (client-server-api "Guest Access": registering with guest_access_token). */
  async upgradeGuest(userId: string, password: string | undefined): Promise<void> {
    await this.db.user.update({
      where: { userId },
      data: { isGuest: false, passwordHash: password === undefined ? null : await hashPassword(password) },
    });
    await this.sessionsEnded(userId);
  }

  /** Checks a password; undefined when the user does not exist, is deactivated or the password is wrong. */
  async checkPassword(userId: string, password: string): Promise<string | undefined> {
    const user = await this.db.user.findUnique({ where: { userId } });
    if (!user?.passwordHash || user.deactivated) return undefined;
    return (await verifyPassword(password, user.passwordHash)) ? user.userId : undefined;
  }

  async isDeactivated(userId: string): Promise<boolean> {
    const user = await this.db.user.findUnique({ where: { userId }, select: { deactivated: true } });
    return user?.deactivated ?? false;
  }

  /**
   * Logs a device in: creates it (or reuses the client's device ID, replacing
   * its old tokens, as the spec says for login with an existing device_id).
   */
  async startSession(userId: string, device: NewDevice): Promise<Session> {
    const deviceId = device.deviceId ?? newDeviceId();
    // Device key IDs and cross-signing key IDs share the ed25519:<id> namespace (client-server-api "Cross-signing").
    if (
      device.deviceId !== undefined &&
      (await this.db.crossSigningKey.count({ where: { userId, publicKey: deviceId } })) > 0
    )
      throw Errors.invalidParam('That device ID is a cross-signing key of the user');
    // A login would turn the dehydrated device (MSC3814) into an ordinary one that /devices still hides; rehydrating is how it is taken over.
    if (device.deviceId !== undefined && (await this.db.dehydratedDevice.count({ where: { userId, deviceId } })) > 0)
      throw Errors.invalidParam("That device ID is the user's dehydrated device");
    const before =
      device.deviceId === undefined
        ? null
        : await this.db.device.findUnique({ where: { userId_deviceId: { userId, deviceId } } });
    const tokens = this.newTokens(userId, deviceId, device.refreshable === true, null);
    const displayName = device.displayName ?? null;
    // A device ID made up here is a new device: nothing to update and no tokens to replace, four statements fewer
    // per login. Should it be one the user already has (26^10 IDs), another is made up.
    const deviceWrites =
      device.deviceId === undefined
        ? [this.db.device.create({ data: { userId, deviceId, displayName } })]
        : [
            this.db.device.upsert({
              where: { userId_deviceId: { userId, deviceId } },
              create: { userId, deviceId, displayName },
              update: device.displayName === undefined ? {} : { displayName: device.displayName },
            }),
            this.db.accessToken.deleteMany({ where: { userId, deviceId } }),
            this.db.refreshToken.deleteMany({ where: { userId, deviceId } }),
          ];
    try {
      await this.db.$transaction([...deviceWrites, ...tokens.writes]);
    } catch (e) {
      if (device.deviceId === undefined && (e as { code?: string }).code === 'P2002')
        return this.startSession(userId, device);
      throw e;
    }
    if (device.deviceId !== undefined) await this.sessionsEnded(userId);
    // The display name is part of the device list others see (server-server-api "Device Management").
    if (before && device.displayName !== undefined && before.displayName !== device.displayName)
      await this.deviceLists.changed(userId, [deviceId], 'local');
    return { userId, deviceId, ...tokens.session };
  }

  /**
   * POST /refresh: a new access token and refresh token for the device of `refreshToken`. The old refresh
   * token stays good until the new access or refresh token is used (client-server-api "Refreshing access
   * tokens": a client that lost the answer may repeat the refresh); repeating it replaces the pair it got
   * before. M_UNKNOWN_TOKEN for a refresh token that is unknown or already retired.
   */
  async refresh(refreshToken: string, serverName: string): Promise<Session> {
    const tokenHash = hashAccessToken(refreshToken);
    const row = await this.db.refreshToken.findUnique({ where: { tokenHash } });
    if (!row || row.userId.slice(row.userId.indexOf(':') + 1) !== serverName) throw Errors.unusableRefreshToken();
    const earlier = await this.db.refreshToken.findMany({ where: { previousHash: tokenHash } });
    const tokens = this.newTokens(row.userId, row.deviceId, true, tokenHash);
    const predecessor =
      row.previousHash === null
        ? null
        : await this.db.refreshToken.findUnique({ where: { tokenHash: row.previousHash } });
    const retiredAccess = [
      ...earlier.map((r) => r.accessTokenHash),
      ...(predecessor ? [predecessor.accessTokenHash] : []),
    ];
    const retiredRefresh = [...earlier.map((r) => r.tokenHash), ...(predecessor ? [predecessor.tokenHash] : [])];
    await this.db.$transaction([
      this.db.accessToken.deleteMany({ where: { tokenHash: { in: retiredAccess } } }),
      this.db.refreshToken.deleteMany({ where: { tokenHash: { in: retiredRefresh } } }),
      ...tokens.writes,
    ]);
    if (retiredAccess.length > 0) await this.sessionsEnded(row.userId);
    return { userId: row.userId, deviceId: row.deviceId, ...tokens.session };
  }

  /**
   * The access token (and, for a refreshable session, refresh token) of a new session, with the writes
   * that store them. `refreshedFrom`: the refresh token exchanged for them, retired on the new token's first use.
   */
  private newTokens(userId: string, deviceId: string, refreshable: boolean, refreshedFrom: string | null) {
    const accessToken = newAccessToken();
    const accessTokenHash = hashAccessToken(accessToken);
    if (!refreshable) {
      return {
        session: { accessToken },
        writes: [this.db.accessToken.create({ data: { tokenHash: accessTokenHash, userId, deviceId } })],
      };
    }
    const refreshToken = newRefreshToken();
    const expiresInMs = this.options.accessTokenLifetimeMs;
    return {
      session: { accessToken, refreshToken, expiresInMs },
      writes: [
        this.db.accessToken.create({
          data: {
            tokenHash: accessTokenHash,
            userId,
            deviceId,
            expiresAt: new Date(Date.now() + expiresInMs),
            refreshedFrom,
          },
        }),
        this.db.refreshToken.create({
          data: {
            tokenHash: hashAccessToken(refreshToken),
            userId,
            deviceId,
            accessTokenHash,
            previousHash: refreshedFrom,
          },
        }),
      ],
    };
  }

  async resolveToken(accessToken: string): Promise<TokenOwner | undefined> {
    const tokenHash = hashAccessToken(accessToken);
    const cached = this.tokens.get(tokenHash);
    if (cached) return cached;
    const generation = this.tokens.generation;
    const row = await this.db.accessToken.findUnique({ where: { tokenHash } });
    if (!row) return undefined;
    const expiresAt = row.expiresAt?.getTime() ?? null;
    if (tokenExpired(expiresAt, Date.now())) throw Errors.expiredToken();
    if (row.refreshedFrom !== null) await this.retireRefreshedFrom(row.userId, tokenHash, row.refreshedFrom);
    const user = await this.db.user.findUnique({
      where: { userId: row.userId },
      select: { isGuest: true, locked: true, suspended: true },
    });
    const owner: TokenOwner = {
      userId: row.userId,
      deviceId: row.deviceId,
      isGuest: user?.isGuest ?? false,
      ...(user?.locked ? { locked: true as const } : {}),
      ...(user?.suspended ? { suspended: true as const } : {}),
    };
    this.tokens.set(tokenHash, owner, generation, expiresAt);
    return owner;
  }

  /** The first use of a refreshed access token retires the refresh token it was exchanged for, and that one's access token. */
  private async retireRefreshedFrom(userId: string, tokenHash: string, refreshedFrom: string): Promise<void> {
    const old = await this.db.refreshToken.findUnique({ where: { tokenHash: refreshedFrom } });
    await this.db.$transaction([
      this.db.accessToken.updateMany({ where: { tokenHash }, data: { refreshedFrom: null } }),
      this.db.refreshToken.deleteMany({ where: { tokenHash: refreshedFrom } }),
      ...(old ? [this.db.accessToken.deleteMany({ where: { tokenHash: old.accessTokenHash } })] : []),
    ]);
    if (old) await this.sessionsEnded(userId);
  }

  /**
   * Records when and from where a device was last seen (GET /devices), at
   * most every few minutes per device: a write per request would cost more
   * than the request. A failed write is dropped, as the next one repairs it.
   */
  async deviceSeen(userId: string, deviceId: string, ip: string): Promise<void> {
    const key = `${userId}|${deviceId}`;
    const now = Date.now();
    if (now - (this.lastSeenWritten.get(key) ?? 0) < LAST_SEEN_EVERY_MS) return;
    if (this.lastSeenWritten.size >= LAST_SEEN_ENTRIES) this.lastSeenWritten.clear();
    this.lastSeenWritten.set(key, now);
    await this.db.device
      .updateMany({ where: { userId, deviceId }, data: { lastSeenTs: BigInt(now), lastSeenIp: ip } })
      .catch(() => this.lastSeenWritten.delete(key));
  }

  /** /logout: the token's device goes with it (client-server-api "Log out"). */
  async endSession(accessToken: string): Promise<void> {
    const row = await this.db.accessToken.findUnique({ where: { tokenHash: hashAccessToken(accessToken) } });
    if (row) await this.deleteDevices(row.userId, [row.deviceId]);
  }

  /**
   * Deletes devices with their tokens, end-to-end keys, undelivered
   * to-device messages and to-device transaction IDs, and the pushers their tokens set with the pushes
   * queued for them (a logged-out phone must stop ringing; Synapse does the same on logout, device
   * deletion and a password change that logs the other devices out); every device when `deviceIds` is
   * omitted. The deletions are device-list changes the user's room-mates must see.
   */
  async deleteDevices(userId: string, deviceIds?: string[], keepDeviceId?: string): Promise<void> {
    const devices = deviceIds ? { in: deviceIds } : keepDeviceId ? { not: keepDeviceId } : undefined;
    const where = { userId, deviceId: devices };
    const existing = await this.db.device.findMany({ where, select: { deviceId: true } });
    const pushers = (await this.db.pusher.findMany({ where, select: { pusherId: true } })).map((p) => p.pusherId);
    await this.db.$transaction([
      this.db.pushOutbox.deleteMany({ where: { pusherId: { in: pushers } } }),
      this.db.pusher.deleteMany({ where: { pusherId: { in: pushers } } }),
      this.db.accessToken.deleteMany({ where }),
      this.db.refreshToken.deleteMany({ where }),
      this.db.device.deleteMany({ where }),
      this.db.deviceKeys.deleteMany({ where }),
      this.db.oneTimeKey.deleteMany({ where }),
      this.db.toDeviceMessage.deleteMany({ where }),
      this.db.toDeviceTxn.deleteMany({ where }),
    ]);
    await this.sessionsEnded(userId);
    await this.deviceLists.changed(
      userId,
      existing.map((d) => d.deviceId),
      'local',
    );
  }

  /** After tokens were deleted or their account moderated: this process forgets them now, the others when the broadcast reaches them. */
  private async sessionsEnded(userId: string): Promise<void> {
    this.tokens.forgetUser(userId);
    await this.bus.publish('output.sessions', { userId });
  }

  /** What a server admin's account moderation reads: undefined for an account that does not exist. */
  async moderationOf(userId: string): Promise<AccountModeration | undefined> {
    return (
      (await this.db.user.findUnique({
        where: { userId },
        select: { isAdmin: true, deactivated: true, locked: true, suspended: true },
      })) ?? undefined
    );
  }

  /**
   * Locks or suspends an account, or lifts it. Its tokens stay good (client-server-api "Account
   * locking": a lifted lock needs no new login), but every process forgets what it cached of them,
   * so its next request is answered by the new state.
   */
  async setModeration(userId: string, change: { locked?: boolean; suspended?: boolean }): Promise<void> {
    await this.db.user.update({ where: { userId }, data: change });
    await this.sessionsEnded(userId);
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await this.db.user.update({ where: { userId }, data: { passwordHash: await hashPassword(password) } });
  }

  /** Deactivation keeps the row (the user ID is never reissued) but removes every way to log in. */
  /** `erase`: client-server-api POST /account/deactivate, their events are hidden from whoever was not joined when they were sent. */
  async deactivate(userId: string, erase = false): Promise<void> {
    await this.db.user.update({
      where: { userId },
      data: { deactivated: true, passwordHash: null, ...(erase ? { erased: true } : {}) },
    });
    await this.deleteDevices(userId);
  }

  /** The whole profile other servers may read: displayname, avatar_url and the extended fields (m.tz and custom keys, v1.16). */
  async fullProfile(userId: string): Promise<Record<string, unknown> | undefined> {
    const user = await this.db.user.findUnique({
      where: { userId },
      select: { profileFields: true, displayName: true, avatarUrl: true },
    });
    if (!user) return undefined;
    return {
      ...(user.profileFields as Record<string, unknown>),
      ...(user.displayName != null ? { displayname: user.displayName } : {}),
      ...(user.avatarUrl != null ? { avatar_url: user.avatarUrl } : {}),
    };
  }

  async getProfile(userId: string): Promise<{ displayname?: string; avatar_url?: string } | undefined> {
    const user = await this.db.user.findUnique({ where: { userId } });
    if (!user) return undefined;
    return {
      ...(user.displayName != null ? { displayname: user.displayName } : {}),
      ...(user.avatarUrl != null ? { avatar_url: user.avatarUrl } : {}),
    };
  }

  async setProfileField(userId: string, field: 'displayname' | 'avatar_url', value: string | null): Promise<void> {
    await this.db.user.update({
      where: { userId },
      data: field === 'displayname' ? { displayName: value } : { avatarUrl: value },
    });
  }

  async listDevices(userId: string) {
    return this.db.device.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
  }

  /** Every device of the user becomes a device-list change: sent again to whoever follows their list. */
  async announceDevices(userId: string): Promise<void> {
    const devices = await this.listDevices(userId);
    await this.deviceLists.changed(
      userId,
      devices.map((device) => device.deviceId),
      'local',
    );
  }

  async getDevice(userId: string, deviceId: string) {
    return this.db.device.findUnique({ where: { userId_deviceId: { userId, deviceId } } });
  }

  /** Renames a device; false when the user has no such device. A new name is a device-list change (others show it). */
  async renameDevice(userId: string, deviceId: string, displayName: string): Promise<boolean> {
    const before = await this.getDevice(userId, deviceId);
    if (!before) return false;
    if (before.displayName === displayName) return true;
    await this.db.device.update({ where: { userId_deviceId: { userId, deviceId } }, data: { displayName } });
    await this.deviceLists.changed(userId, [deviceId], 'local');
    return true;
  }
}
