import { Inject, Injectable } from '@nestjs/common';
import { Errors, MatrixError } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { replacesBackupKey, type BackupKey, type BackupKeys } from './key-backup';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface BackupVersionInfo {
  version: string;
  algorithm: string;
  auth_data: JsonObject;
  etag: string;
  count: number;
}

/** What every change of a version's keys answers: its new etag and key count. */
export interface BackupKeysUpdate {
  etag: string;
  count: number;
}

/** Which keys of a version a read or delete covers: all, a room's, or one session's. */
export interface BackupScope {
  roomId?: string;
  sessionId?: string;
}

const unknownVersion = () => Errors.notFound('Unknown backup version');

/**
 * Users' server-side key backups (client-server-api "Server-side key
 * backups"): versions and the encrypted session keys in them. The server
 * never reads the keys; it only keeps the better of two copies of a session.
 */
@Injectable()
export class KeyBackupStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** A new version, the user's next number (two racing creations get two numbers). */
  async createVersion(userId: string, algorithm: string, authData: JsonObject): Promise<string> {
    for (;;) {
      const last = await this.db.keyBackupVersion.findFirst({
        where: { userId },
        orderBy: { version: 'desc' },
        select: { version: true },
      });
      const version = (last?.version ?? 0) + 1;
      try {
        await this.db.keyBackupVersion.create({
          data: { userId, version, algorithm, authData: JSON.stringify(authData) },
        });
        return String(version);
      } catch (e) {
        if ((e as { code?: string }).code !== 'P2002') throw e;
      }
    }
  }

  /** A version (the latest when `version` is undefined) with its etag and key count; M_NOT_FOUND if none or deleted. */
  async versionInfo(userId: string, version: string | undefined): Promise<BackupVersionInfo> {
    const row =
      version === undefined ? await this.current(this.db, userId) : await this.existing(this.db, userId, version);
    if (!row) throw version === undefined ? Errors.notFound('No current backup version') : unknownVersion();
    const count = await this.db.keyBackupSession.count({ where: { userId, version: row.version } });
    return {
      version: String(row.version),
      algorithm: row.algorithm,
      auth_data: JSON.parse(row.authData) as JsonObject,
      etag: String(row.etag),
      count,
    };
  }

  /** Replaces a version's auth_data; its algorithm cannot change (M_INVALID_PARAM). */
  async updateVersion(userId: string, version: string, algorithm: string, authData: JsonObject): Promise<void> {
    const row = await this.existing(this.db, userId, version);
    if (!row) throw unknownVersion();
    if (row.algorithm !== algorithm) throw Errors.invalidParam('The algorithm of a backup version cannot change');
    await this.db.keyBackupVersion.update({
      where: { userId_version: { userId, version: row.version } },
      data: { authData: JSON.stringify(authData) },
    });
  }

  /** Deletes a version and its keys; a version deleted before is fine, one that never existed is M_NOT_FOUND. */
  async deleteVersion(userId: string, version: string): Promise<void> {
    const number = versionNumber(version);
    const row =
      number === undefined
        ? null
        : await this.db.keyBackupVersion.findUnique({ where: { userId_version: { userId, version: number } } });
    if (!row) throw unknownVersion();
    await this.db.$transaction([
      this.db.keyBackupSession.deleteMany({ where: { userId, version: row.version } }),
      this.db.keyBackupVersion.update({
        where: { userId_version: { userId, version: row.version } },
        data: { deleted: true },
      }),
    ]);
  }

  /**
   * Stores keys in the current version, each unless the stored copy of its
   * session is better (replacesBackupKey). Keys go only to the current
   * version: another one is M_WRONG_ROOM_KEYS_VERSION with the current one.
   */
  async putKeys(userId: string, version: string, keys: BackupKeys): Promise<BackupKeysUpdate> {
    return this.db.$transaction(async (tx) => {
      const row = await this.writable(tx, userId, version);
      let changed = false;
      for (const [roomId, sessions] of Object.entries(keys)) {
        const stored = new Map(
          (
            await tx.keyBackupSession.findMany({
              where: { userId, version: row.version, roomId, sessionId: { in: Object.keys(sessions) } },
            })
          ).map((s) => [s.sessionId, toBackupKey(s)]),
        );
        for (const [sessionId, key] of Object.entries(sessions)) {
          const before = stored.get(sessionId);
          if (before && !replacesBackupKey(key, before)) continue;
          const data = {
            firstMessageIndex: key.first_message_index,
            forwardedCount: key.forwarded_count,
            isVerified: key.is_verified,
            sessionData: JSON.stringify(key.session_data),
          };
          await tx.keyBackupSession.upsert({
            where: { userId_version_roomId_sessionId: { userId, version: row.version, roomId, sessionId } },
            create: { userId, version: row.version, roomId, sessionId, ...data },
            update: data,
          });
          changed = true;
        }
      }
      return this.afterChange(tx, userId, row.version, row.etag, changed);
    });
  }

  /** The keys of a version in `scope`: room ID -> session ID -> key. M_NOT_FOUND for an unknown version. */
  async getKeys(userId: string, version: string, scope: BackupScope): Promise<BackupKeys> {
    const row = await this.existing(this.db, userId, version);
    if (!row) throw unknownVersion();
    const rows = await this.db.keyBackupSession.findMany({ where: { userId, version: row.version, ...scope } });
    const keys: BackupKeys = {};
    for (const s of rows) (keys[s.roomId] ??= {})[s.sessionId] = toBackupKey(s);
    return keys;
  }

  async deleteKeys(userId: string, version: string, scope: BackupScope): Promise<BackupKeysUpdate> {
    return this.db.$transaction(async (tx) => {
      const row = await this.existing(tx, userId, version);
      if (!row) throw unknownVersion();
      const { count } = await tx.keyBackupSession.deleteMany({ where: { userId, version: row.version, ...scope } });
      return this.afterChange(tx, userId, row.version, row.etag, count > 0);
    });
  }

  /** Moves the etag when the keys changed; answers the etag and count. */
  private async afterChange(
    tx: Tx,
    userId: string,
    version: number,
    etag: number,
    changed: boolean,
  ): Promise<BackupKeysUpdate> {
    const next = changed
      ? (
          await tx.keyBackupVersion.update({
            where: { userId_version: { userId, version } },
            data: { etag: { increment: 1 } },
          })
        ).etag
      : etag;
    return { etag: String(next), count: await tx.keyBackupSession.count({ where: { userId, version } }) };
  }

  /** The version keys may be written to, locked for the transaction. */
  private async writable(tx: Tx, userId: string, version: string) {
    const row = await this.existing(tx, userId, version);
    if (!row) throw unknownVersion();
    const current = await this.current(tx, userId);
    if (current?.version !== row.version)
      throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'Wrong backup version', {
        current_version: String(current?.version),
      });
    // Row lock: concurrent uploads to one version take turns, so each compares with what the other stored.
    await tx.$queryRawUnsafe(
      'SELECT 1 FROM key_backup_versions WHERE user_id = $1 AND version = $2 FOR UPDATE',
      userId,
      row.version,
    );
    return row;
  }

  private current(db: Tx | PrismaClient, userId: string) {
    return db.keyBackupVersion.findFirst({ where: { userId, deleted: false }, orderBy: { version: 'desc' } });
  }

  private async existing(db: Tx | PrismaClient, userId: string, version: string) {
    const number = versionNumber(version);
    if (number === undefined) return null;
    const row = await db.keyBackupVersion.findUnique({ where: { userId_version: { userId, version: number } } });
    return row && !row.deleted ? row : null;
  }
}

/** Versions are decimal numbers; any other string names no version. */
function versionNumber(version: string): number | undefined {
  return /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : undefined;
}

function toBackupKey(row: {
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: string;
}): BackupKey {
  return {
    first_message_index: row.firstMessageIndex,
    forwarded_count: row.forwardedCount,
    is_verified: row.isVerified,
    session_data: JSON.parse(row.sessionData) as JsonObject,
  };
}
