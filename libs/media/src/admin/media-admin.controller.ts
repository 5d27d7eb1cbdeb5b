import { Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AdminGuard, localUser } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, nextToken, queryBool, queryChoice, queryInt, Tenant, type Requester } from '@lattice/http';
import { MediaAccessTimes } from '../download/media-access-times';
import { MediaStore } from '../metadata/media-store';
import type { MediaRecord } from '../metadata/media-record';
import { MediaModeration } from '../moderation/media-moderation';
import { AvatarMedia } from './avatar-media';
import { RoomMedia } from './room-media';

const ORDERINGS = ['created_ts', 'media_length', 'upload_name', 'media_type', 'media_id', 'quarantined_by'] as const;

/**
 * Synapse's media admin API, served by the media service (it holds the
 * media store and the bytes): a user's uploads (list, delete, quarantine),
 * a room's media (list, quarantine), one piece of media (show, quarantine,
 * protect from quarantine, delete), old local media (delete by date) and
 * the cache of other servers' media (purge). An admin acts on their own
 * tenant's media only; quarantined media is never served again.
 */
@Controller('_synapse/admin/v1')
@UseGuards(AdminGuard)
export class MediaAdminController {
  constructor(
    private readonly store: MediaStore,
    private readonly moderation: MediaModeration,
    private readonly rooms: RoomMedia,
    private readonly avatars: AvatarMedia,
    private readonly accessTimes: MediaAccessTimes,
  ) {}

  @Get('users/:userId/media')
  async userMedia(
    @Tenant() tenant: TenantConfig,
    @Param('userId') userId: string,
    @Query('from') from?: string,
    @Query('limit') limit?: string,
    @Query('order_by') orderBy?: string,
    @Query('dir') dir?: string,
  ) {
    const page = {
      from: queryInt(from, 0, 'from'),
      limit: queryInt(limit, 100, 'limit'),
      orderBy: queryChoice(orderBy, ORDERINGS, 'created_ts', 'order_by'),
      dir: queryChoice(dir, ['f', 'b'] as const, 'f', 'dir'),
    };
    const { media, total } = await this.store.uploadsPage(localUser(tenant.serverName, userId), page);
    return {
      media: media.map((m) => this.view(m)),
      total,
      ...nextToken(page.from, media.length, total),
    };
  }

  @Delete('users/:userId/media')
  async deleteUserMedia(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    const deleted: string[] = [];
    for (const { origin, mediaId } of await this.store.uploadedBy(localUser(tenant.serverName, userId)))
      if (await this.moderation.delete(origin, mediaId)) deleted.push(mediaId);
    return { deleted_media: deleted, total: deleted.length };
  }

  @Post('user/:userId/media/quarantine')
  @HttpCode(200)
  async quarantineUserMedia(@Tenant() tenant: TenantConfig, @Auth() admin: Requester, @Param('userId') userId: string) {
    const uploads = await this.store.uploadedBy(localUser(tenant.serverName, userId));
    return { num_quarantined: await this.store.quarantineMany(tenant.serverName, uploads, admin.userId) };
  }

  @Get('room/:roomId/media')
  async roomMedia(@Tenant() tenant: TenantConfig, @Param('roomId') roomId: string) {
    const media = await this.tenantRoomMedia(tenant.serverName, roomId);
    const uri = ({ origin, mediaId }: { origin: string; mediaId: string }) => `mxc://${origin}/${mediaId}`;
    return {
      local: media.filter((m) => m.origin === tenant.serverName).map(uri),
      remote: media.filter((m) => m.origin !== tenant.serverName).map(uri),
    };
  }

  @Post('room/:roomId/media/quarantine')
  @HttpCode(200)
  async quarantineRoomMedia(@Tenant() tenant: TenantConfig, @Auth() admin: Requester, @Param('roomId') roomId: string) {
    const media = await this.tenantRoomMedia(tenant.serverName, roomId);
    return { num_quarantined: await this.store.quarantineMany(tenant.serverName, media, admin.userId) };
  }

  @Get('media/:serverName/:mediaId')
  async show(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
  ) {
    return { media_info: this.view(await this.tenantMedia(tenant.serverName, serverName, mediaId)) };
  }

  @Post('media/quarantine/:serverName/:mediaId')
  @HttpCode(200)
  async quarantine(
    @Tenant() tenant: TenantConfig,
    @Auth() admin: Requester,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
  ) {
    await this.tenantMedia(tenant.serverName, serverName, mediaId);
    await this.moderation.setQuarantined(serverName, mediaId, true, admin.userId);
    return {};
  }

  @Post('media/unquarantine/:serverName/:mediaId')
  @HttpCode(200)
  async unquarantine(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
  ) {
    await this.tenantMedia(tenant.serverName, serverName, mediaId);
    await this.moderation.setQuarantined(serverName, mediaId, false);
    return {};
  }

  @Delete('media/:serverName/:mediaId')
  async delete(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Param('mediaId') mediaId: string,
  ) {
    await this.tenantMedia(tenant.serverName, serverName, mediaId);
    const deleted = await this.moderation.delete(serverName, mediaId);
    return { deleted_media: deleted ? [mediaId] : [], total: deleted ? 1 : 0 };
  }

  /** Protects the tenant's own media from bulk quarantine (a room's, a user's) and from deletion by date. */
  @Post('media/protect/:mediaId')
  @HttpCode(200)
  async protect(@Tenant() tenant: TenantConfig, @Param('mediaId') mediaId: string) {
    await this.tenantMedia(tenant.serverName, tenant.serverName, mediaId);
    await this.store.setProtected(tenant.serverName, mediaId, true);
    return {};
  }

  @Post('media/unprotect/:mediaId')
  @HttpCode(200)
  async unprotect(@Tenant() tenant: TenantConfig, @Param('mediaId') mediaId: string) {
    await this.tenantMedia(tenant.serverName, tenant.serverName, mediaId);
    await this.store.setProtected(tenant.serverName, mediaId, false);
    return {};
  }

  /**
   * Deletes the tenant's own media last downloaded (never downloaded: uploaded) before `before_ts` and
   * larger than `size_gt`, except quarantined (kept for review), protected and, unless keep_profiles=false,
   * avatars in use. The second path is Synapse's older form, for the local server name only.
   */
  @Post(['media/delete', 'media/:serverName/delete'])
  @HttpCode(200)
  async deleteOld(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName?: string,
    @Query('before_ts') beforeTs?: string,
    @Query('size_gt') sizeGt?: string,
    @Query('keep_profiles') keepProfiles?: string,
  ) {
    if (serverName !== undefined && serverName !== tenant.serverName)
      throw Errors.invalidParam('Can only delete local media');
    if (beforeTs === undefined) throw Errors.missingParam('Missing integer query parameter before_ts');
    const before = queryInt(beforeTs, 0, 'before_ts');
    // A time in seconds (or none at all) would delete everything: 3e10 ms is December 1970.
    if (before < 30_000_000_000)
      throw Errors.invalidParam('before_ts is from 1970: it must be a timestamp in milliseconds');
    const size = queryInt(sizeGt, 0, 'size_gt');
    if (size < 0) throw Errors.invalidParam('size_gt must not be negative');
    const keep = queryBool(keepProfiles, 'keep_profiles') ?? true;
    // This process's download times first (another media replica's may be up to a minute late).
    await this.accessTimes.write();
    const avatars = keep ? await this.avatars.inUse(tenant.serverName) : new Set<string>();
    const deleted: string[] = [];
    for (const { origin, mediaId } of await this.store.localUnusedSince(tenant.serverName, before, size)) {
      if (avatars.has(`mxc://${origin}/${mediaId}`)) continue;
      if (await this.moderation.delete(origin, mediaId)) deleted.push(mediaId);
    }
    return { deleted_media: deleted, total: deleted.length };
  }

  /** Forgets other servers' media cached before `before_ts`; they are fetched again if asked for. */
  @Post('purge_media_cache')
  @HttpCode(200)
  async purgeRemoteCache(@Tenant() tenant: TenantConfig, @Query('before_ts') beforeTs?: string) {
    if (beforeTs === undefined) throw Errors.missingParam('Missing integer query parameter before_ts');
    let deleted = 0;
    for (const { origin, mediaId } of await this.store.remoteCachedBefore(
      tenant.serverName,
      queryInt(beforeTs, 0, 'before_ts'),
    ))
      if (await this.moderation.delete(origin, mediaId)) deleted++;
    return { deleted };
  }

  /** A piece of media as Synapse's admin API shows it. */
  private view(media: MediaRecord) {
    return {
      media_id: media.mediaId,
      media_type: media.contentType,
      media_length: media.size,
      upload_name: media.uploadName,
      created_ts: media.createdTs,
      // As Synapse: the upload counts as the first access.
      last_access_ts: this.accessTimes.lastAccess(media) ?? media.uploadedTs,
      quarantined_by: media.quarantined ? (media.quarantinedBy ?? 'unknown') : null,
      safe_from_quarantine: media.safeFromQuarantine,
    };
  }

  private async tenantMedia(tenant: string, origin: string, mediaId: string): Promise<MediaRecord> {
    const record = await this.store.find(origin, mediaId);
    // Another tenant's media is as unknown to this admin as another server's.
    if (!record || record.tenant !== tenant) throw Errors.notFound('Unknown media');
    return record;
  }

  private async tenantRoomMedia(tenant: string, roomId: string) {
    if (!(await this.rooms.isTenantRoom(tenant, roomId))) throw Errors.notFound('Room not found');
    return this.rooms.mediaOf(roomId);
  }
}
