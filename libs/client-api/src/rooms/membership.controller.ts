import { Body, Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import type { MembershipAction } from '@lattice/contracts';
import { RemoteJoiner, RemoteJoinError } from '@lattice/federation';
import { Auth, Errors, MatrixError, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { StorageAccess } from '../storage-access';
import { RoomInputClient } from '@lattice/room-server';
import { inviteBody, joinBody, reasonBody, targetBody } from './room-schemas';

/** Joining, inviting, leaving and moderating (client-server-api "Room membership"). */
@Controller('_matrix/client/v3')
export class MembershipController {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly remote: RemoteJoiner,
    private readonly accounts: AccountStore,
  ) {}

  @Post('rooms/:roomId/join')
  @HttpCode(200)
  @RateLimited()
  async joinRoom(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(joinBody, raw);
    return { room_id: await this.act(r, t, roomId, 'join', r.userId, body.reason) };
  }

  /**
   * POST /join/{roomIdOrAlias}: aliases of this deployment resolve locally. A
   * room this server is not in is joined through the servers named by
   * `via` (or the deprecated `server_name`) and the room ID's own server.
   */
  @Post('join/:roomIdOrAlias')
  @HttpCode(200)
  @RateLimited()
  async join(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomIdOrAlias') target: string,
    @Body() raw: unknown,
    @Query('via') via?: string | string[],
    @Query('server_name') serverName?: string | string[],
  ) {
    const body = validateBody(joinBody, raw);
    const roomId = target.startsWith('#') ? await this.resolveAlias(target) : target;
    if (!roomId.startsWith('!')) throw Errors.invalidParam('Expected a room ID or alias');
    if (!(await this.storage.reader.roomVersion(roomId))) {
      const named = (value?: string | string[]) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
      const servers = [...new Set([...named(via), ...named(serverName), ...named(serverNameOf(roomId))])];
      return { room_id: await this.joinRemote(r, t, roomId, servers.filter((s) => s !== t.serverName)) };
    }
    return { room_id: await this.act(r, t, roomId, 'join', r.userId, body.reason) };
  }

  @Post('rooms/:roomId/invite')
  @HttpCode(200)
  @RateLimited()
  async invite(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(inviteBody, raw);
    await this.act(r, t, roomId, 'invite', body.user_id, body.reason);
    return {};
  }

  @Post('rooms/:roomId/leave')
  @HttpCode(200)
  async leave(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(reasonBody, raw);
    await this.act(r, t, roomId, 'leave', r.userId, body.reason);
    return {};
  }

  @Post('rooms/:roomId/kick')
  @HttpCode(200)
  async kick(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    return this.moderate(r, t, roomId, 'kick', raw);
  }

  @Post('rooms/:roomId/ban')
  @HttpCode(200)
  async ban(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    return this.moderate(r, t, roomId, 'ban', raw);
  }

  @Post('rooms/:roomId/unban')
  @HttpCode(200)
  async unban(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    return this.moderate(r, t, roomId, 'unban', raw);
  }

  /** POST /forget: only rooms the user has left can be forgotten. */
  @Post('rooms/:roomId/forget')
  @HttpCode(200)
  async forget(@Auth() r: Requester, @Param('roomId') roomId: string) {
    const membership = await this.storage.reader.membership(roomId, r.userId);
    if (membership === 'join' || membership === 'invite') throw Errors.badJson('You must leave the room before forgetting it');
    await this.storage.db.prisma.forgottenRoom.upsert({ where: { userId_roomId: { userId: r.userId, roomId } }, create: { userId: r.userId, roomId }, update: {} });
    return {};
  }

  private async moderate(r: Requester, t: TenantConfig, roomId: string, action: MembershipAction, raw: unknown) {
    const body = validateBody(targetBody, raw);
    await this.act(r, t, roomId, action, body.user_id, body.reason);
    return {};
  }

  private async act(r: Requester, t: TenantConfig, roomId: string, action: MembershipAction, target: string, reason?: string): Promise<string> {
    await this.rooms.submit({ kind: 'membership', serverName: t.serverName, sender: r.userId, roomId, action, target, reason });
    return roomId;
  }

  /** Joins through another server (libs/federation RemoteJoiner), then hands the checked room to the room-server. */
  private async joinRemote(r: Requester, t: TenantConfig, roomId: string, servers: string[]): Promise<string> {
    if (servers.length === 0) throw Errors.notFound(`${roomId} is not known here; name a server to join it through (via)`);
    const profile = (await this.accounts.getProfile(r.userId)) ?? {};
    const joined = await this.remote.join(t.serverName, r.userId, roomId, servers, profile as JsonObject).catch((e: Error) => {
      if (e instanceof RemoteJoinError) throw new MatrixError(e.status, e.errcode, e.message);
      throw new MatrixError(502, 'M_UNKNOWN', `Could not join ${roomId} through ${servers.join(', ')}: ${e.message}`);
    });
    await this.rooms.submit({
      kind: 'remoteJoin', serverName: t.serverName, sender: r.userId, roomId, roomVersion: joined.version.id, eventId: joined.eventId,
      pdu: joined.pdu as never, state: joined.state as never, authChain: joined.authChain as never,
    });
    return roomId;
  }

  private async resolveAlias(alias: string): Promise<string> {
    const row = await this.storage.db.prisma.roomAlias.findUnique({ where: { alias } });
    if (!row) throw Errors.notFound(`Room alias ${alias} not found`);
    return row.roomId;
  }
}
