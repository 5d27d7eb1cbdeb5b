import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient } from '@lattice/storage';
import type { MediaContent, MediaRecord, ThumbnailKey, ThumbnailRecord } from './media-record';

type MediaRow = Prisma.MediaGetPayload<object>;
type Tx = Prisma.TransactionClient;

/**
 * The `media` table: which mxc:// URI names which content, who uploaded it,
 * and its state (pending, quarantined). Local uploads and, later, remote
 * media cached here share it (origin = the remote server).
 */
@Injectable()
export class MediaStore {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async find(origin: string, mediaId: string): Promise<MediaRecord | undefined> {
    const row = await this.prisma.media.findUnique({ where: { origin_mediaId: { origin, mediaId } } });
    return row ? toRecord(row) : undefined;
  }

  /** Records an mxc:// URI whose bytes are to come (POST /media/v1/create). */
  async insertPending(media: {
    origin: string;
    mediaId: string;
    tenant: string;
    uploaderUserId: string;
    now: number;
    expiresAt: number;
  }): Promise<void> {
    await this.prisma.media.create({
      data: {
        origin: media.origin,
        mediaId: media.mediaId,
        tenant: media.tenant,
        uploaderUserId: media.uploaderUserId,
        createdTs: BigInt(media.now),
        unusedExpiresAt: BigInt(media.expiresAt),
      },
    });
  }

  /** The user's created mxc:// URIs that are neither uploaded to nor expired. */
  async pendingCount(userId: string, now: number): Promise<number> {
    return this.prisma.media.count({
      where: { uploaderUserId: userId, sha256: null, unusedExpiresAt: { gt: BigInt(now) } },
    });
  }

  /** Bytes the user has uploaded, each upload counted (deduplication is the server's saving, not the user's). */
  async bytesUploadedBy(userId: string): Promise<number> {
    const { _sum } = await this.prisma.media.aggregate({ where: { uploaderUserId: userId }, _sum: { size: true } });
    return Number(_sum.size ?? 0n);
  }

  /** `by`: the admin who quarantines (kept for the admin API); false when there is no such media. */
  async setQuarantined(origin: string, mediaId: string, quarantined: boolean, by?: string): Promise<boolean> {
    const { count } = await this.prisma.media.updateMany({
      where: { origin, mediaId },
      data: { quarantined, quarantinedBy: quarantined ? (by ?? null) : null },
    });
    return count === 1;
  }

  /** Protects media from bulk quarantine and deletion by date, or lifts that; false when there is no such media. */
  async setProtected(origin: string, mediaId: string, safe: boolean): Promise<boolean> {
    const { count } = await this.prisma.media.updateMany({
      where: { origin, mediaId },
      data: { safeFromQuarantine: safe },
    });
    return count === 1;
  }

  /**
   * Writes download times gathered since the last write, one statement for all; a time never goes back
   * (another replica may have written a later one).
   */
  async recordAccess(accesses: ReadonlyArray<{ origin: string; mediaId: string; ts: number }>): Promise<void> {
    if (accesses.length === 0) return;
    await this.prisma.$executeRawUnsafe(
      `UPDATE media m SET last_access_ts = a.ts
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS a(origin, media_id, ts)
        WHERE m.origin = a.origin AND m.media_id = a.media_id
          AND (m.last_access_ts IS NULL OR m.last_access_ts < a.ts)`,
      accesses.map((a) => a.origin),
      accesses.map((a) => a.mediaId),
      accesses.map((a) => BigInt(a.ts)),
    );
  }

  /**
   * The tenant's own uploads last downloaded (or, never downloaded, created) before `beforeTs` and larger
   * than `sizeGt` bytes, neither quarantined (kept for review) nor protected: what deletion by date removes.
   */
  async localUnusedSince(
    tenant: string,
    beforeTs: number,
    sizeGt: number,
  ): Promise<Array<{ origin: string; mediaId: string }>> {
    const before = BigInt(beforeTs);
    return this.prisma.media.findMany({
      where: {
        tenant,
        origin: tenant,
        quarantined: false,
        safeFromQuarantine: false,
        size: { gt: BigInt(sizeGt) },
        OR: [{ lastAccessTs: { lt: before } }, { lastAccessTs: null, createdTs: { lt: before } }],
      },
      select: { origin: true, mediaId: true },
    });
  }

  /** Quarantines those of `refs` that belong to the tenant and are neither quarantined nor protected; answers how many. */
  async quarantineMany(
    tenant: string,
    refs: ReadonlyArray<{ origin: string; mediaId: string }>,
    by: string,
  ): Promise<number> {
    if (refs.length === 0) return 0;
    const { count } = await this.prisma.media.updateMany({
      where: {
        tenant,
        quarantined: false,
        safeFromQuarantine: false,
        OR: refs.map(({ origin, mediaId }) => ({ origin, mediaId })),
      },
      data: { quarantined: true, quarantinedBy: by },
    });
    return count;
  }

  /** A page of what a user uploaded, in Synapse's admin order, and how many there are in all. */
  async uploadsPage(
    userId: string,
    page: {
      from: number;
      limit: number;
      orderBy: 'created_ts' | 'media_length' | 'upload_name' | 'media_type' | 'media_id' | 'quarantined_by';
      dir: 'f' | 'b';
    },
  ): Promise<{ media: MediaRecord[]; total: number }> {
    const column = {
      created_ts: 'createdTs',
      media_length: 'size',
      upload_name: 'uploadName',
      media_type: 'contentType',
      media_id: 'mediaId',
      quarantined_by: 'quarantinedBy',
    }[page.orderBy];
    const direction = page.dir === 'b' ? 'desc' : 'asc';
    const [rows, total] = await Promise.all([
      this.prisma.media.findMany({
        where: { uploaderUserId: userId },
        // The media ID breaks ties, so pages neither repeat nor skip rows.
        orderBy: [{ [column]: direction }, { mediaId: direction }],
        skip: page.from,
        take: page.limit,
      }),
      this.prisma.media.count({ where: { uploaderUserId: userId } }),
    ]);
    return { media: rows.map(toRecord), total };
  }

  /** Other servers' media this tenant cached, fetched before `beforeTs`. */
  async remoteCachedBefore(tenant: string, beforeTs: number): Promise<Array<{ origin: string; mediaId: string }>> {
    return this.prisma.media.findMany({
      where: { tenant, uploaderUserId: null, origin: { not: tenant }, createdTs: { lt: BigInt(beforeTs) } },
      select: { origin: true, mediaId: true },
    });
  }

  /** Media IDs the user uploaded, for administrative actions over all of them. */
  async uploadedBy(userId: string): Promise<Array<{ origin: string; mediaId: string }>> {
    return this.prisma.media.findMany({ where: { uploaderUserId: userId }, select: { origin: true, mediaId: true } });
  }

  /** Deletes an mxc:// URI that never got its bytes; false when there is none (or it has bytes now). */
  async deletePending(origin: string, mediaId: string): Promise<boolean> {
    const { count } = await this.prisma.media.deleteMany({ where: { origin, mediaId, sha256: null } });
    return count === 1;
  }

  /** Forgets the pending mxc:// URIs whose time ran out; returns how many. */
  async deleteExpiredPending(now: number): Promise<number> {
    const { count } = await this.prisma.media.deleteMany({
      where: { sha256: null, unusedExpiresAt: { lte: BigInt(now) } },
    });
    return count;
  }

  /** Media uploaded by users who deactivated with `erase: true`. */
  async uploadsOfErasedUsers(limit: number): Promise<Array<{ origin: string; mediaId: string }>> {
    const rows = await this.prisma.$queryRaw<Array<{ origin: string; media_id: string }>>`
      SELECT m.origin, m.media_id FROM media m JOIN users u ON u.user_id = m.uploader_user_id WHERE u.erased LIMIT ${limit}`;
    return rows.map((r) => ({ origin: r.origin, mediaId: r.media_id }));
  }

  /** Whether the local user asked for their data to be erased when deactivating (client-server-api POST /account/deactivate `erase`). */
  async isErased(userId: string): Promise<boolean> {
    const user = await this.prisma.user.findUnique({ where: { userId }, select: { erased: true } });
    return user?.erased === true;
  }

  /**
   * Runs `fn` holding the lock of one content hash, for the whole of a
   * database transaction. Removing a blob (its last row deleted) and naming
   * it from a new row both take it, so a blob is never removed under an
   * upload that has just deduplicated against it.
   */
  async withContentLock<T>(sha256: string, fn: (rows: ContentRows) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`media:${sha256}`}, 0))`;
      return fn(new ContentRows(tx, sha256));
    });
  }
}

/** The rows naming one content hash, read and written inside its lock (MediaStore.withContentLock). */
export class ContentRows {
  constructor(
    private readonly tx: Tx,
    private readonly sha256: string,
  ) {}

  /** Records media whose bytes are already stored. */
  async insertUploaded(
    media: { origin: string; mediaId: string; tenant: string; uploaderUserId: string | null; now: number } & Omit<
      MediaContent,
      'sha256'
    >,
  ): Promise<void> {
    await this.tx.media.create({
      data: {
        origin: media.origin,
        mediaId: media.mediaId,
        tenant: media.tenant,
        uploaderUserId: media.uploaderUserId,
        contentType: media.contentType,
        uploadName: media.uploadName,
        size: BigInt(media.size),
        sha256: this.sha256,
        createdTs: BigInt(media.now),
        uploadedTs: BigInt(media.now),
      },
    });
  }

  /**
   * Gives a pending mxc:// URI its bytes. False when it already has some (or
   * is gone): the conditional update makes the first of two racing uploads
   * win and the other see M_CANNOT_OVERWRITE_MEDIA.
   */
  async completePending(
    origin: string,
    mediaId: string,
    content: Omit<MediaContent, 'sha256'>,
    now: number,
  ): Promise<boolean> {
    const { count } = await this.tx.media.updateMany({
      where: { origin, mediaId, sha256: null },
      data: {
        contentType: content.contentType,
        uploadName: content.uploadName,
        size: BigInt(content.size),
        sha256: this.sha256,
        uploadedTs: BigInt(now),
        unusedExpiresAt: null,
      },
    });
    return count === 1;
  }

  /** Rows naming this content: media and thumbnails alike (a thumbnail's bytes may equal an upload's). */
  async count(): Promise<number> {
    const [media, thumbnails] = await Promise.all([
      this.tx.media.count({ where: { sha256: this.sha256 } }),
      this.tx.mediaThumbnail.count({ where: { sha256: this.sha256 } }),
    ]);
    return media + thumbnails;
  }

  /** Records a thumbnail whose bytes are already stored; false when one of that media and size is already recorded. */
  async insertThumbnail(thumbnail: ThumbnailRecord, now: number): Promise<boolean> {
    const { count } = await this.tx.mediaThumbnail.createMany({
      data: [{ ...thumbnail, size: BigInt(thumbnail.size), sha256: this.sha256, createdTs: BigInt(now) }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  /** Deletes one thumbnail row (of this content); false when there was none. */
  async deleteThumbnail(key: ThumbnailKey): Promise<boolean> {
    const { origin, mediaId, width, height, method, animated } = key;
    const { count } = await this.tx.mediaThumbnail.deleteMany({
      where: { origin, mediaId, width, height, method, animated, sha256: this.sha256 },
    });
    return count === 1;
  }

  /** Deletes one media row (of this content); false when there was none. */
  async delete(origin: string, mediaId: string): Promise<boolean> {
    const { count } = await this.tx.media.deleteMany({ where: { origin, mediaId, sha256: this.sha256 } });
    return count === 1;
  }
}

function toRecord(row: MediaRow): MediaRecord {
  return {
    origin: row.origin,
    mediaId: row.mediaId,
    tenant: row.tenant,
    uploaderUserId: row.uploaderUserId,
    contentType: row.contentType,
    uploadName: row.uploadName,
    size: row.size === null ? null : Number(row.size),
    sha256: row.sha256,
    createdTs: Number(row.createdTs),
    uploadedTs: row.uploadedTs === null ? null : Number(row.uploadedTs),
    unusedExpiresAt: row.unusedExpiresAt === null ? null : Number(row.unusedExpiresAt),
    quarantined: row.quarantined,
    quarantinedBy: row.quarantinedBy,
    safeFromQuarantine: row.safeFromQuarantine,
    lastAccessTs: row.lastAccessTs === null ? null : Number(row.lastAccessTs),
  };
}
