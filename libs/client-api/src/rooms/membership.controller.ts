import { Body, Controller, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import type { MembershipAction } from '@lattice/contracts';
import {
  fetchMissedEvents,
  FederationClient,
  leaveThrough,
  outOfBandLeave,
  RemoteJoiner,
  ServerKeys,
  type RemoteJoin,
} from '@lattice/federation';
import {
  Auth,
  Errors,
  GuestAllowed,
  MatrixError,
  RateLimited,
  requireNotSuspended,
  Requester,
  Tenant,
  validateBody,
} from '@lattice/http';
import {
  findRoomVersion,
  isRoomId,
  referencedIds,
  restrictedJoinAllowedRooms,
  serverNameOf,
  type JsonObject,
} from '@lattice/protocol';
import {
  isResident,
  Keyring,
  RemoteInvites,
  RemoteKnocks,
  RoomInputClient,
  type PendingInvite,
  type PendingKnock,
} from '@lattice/rooms';
import { AliasResolver } from '../directory/alias-resolver';
import { StorageAccess } from '../storage-access';
import { remoteFailure } from './remote-failure';
import { RemoteInviter } from './remote-inviter';
import { NamespaceQueries } from '@lattice/appservice-registry';
import { inviteBody, joinBody, reasonBody, targetBody } from './room-schemas';
import { UpgradeCarryOver } from './upgrade-carry-over';
import { ViaServers } from './via-servers.decorator';

/**
 * Keys of a join body beyond the ones /join defines go into the member
 * event's content, as sytest's "can join a room with custom content" expects
 * of servers; never `join_authorised_via_users_server`, which only the
 * server may set after checking a restricted room's allow rules (room
 * versions 8+, client-server-api "Restricted rooms").
 */
function customMemberContent(raw: unknown): JsonObject {
  const {
    reason: _reason,
    third_party_signed: _signed,
    membership: _membership,
    join_authorised_via_users_server: _authorised,
    ...rest
  } = raw as JsonObject;
  return rest;
}

/** Joining, inviting, leaving and moderating (client-server-api "Room membership"). */
@Controller('_matrix/client/v3')
export class MembershipController {
  private readonly logger = new Logger(MembershipController.name);
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly remote: RemoteJoiner,
    private readonly accounts: AccountStore,
    private readonly federation: FederationClient,
    private readonly keyring: Keyring,
    private readonly aliases: AliasResolver,
    private readonly tenants: TenantDirectory,
    private readonly knocks: RemoteKnocks,
    private readonly inviter: RemoteInviter,
    private readonly namespaces: NamespaceQueries,
    private readonly carryOver: UpgradeCarryOver,
    private readonly invites: RemoteInvites,
    private readonly keys: ServerKeys,
  ) {}

  @GuestAllowed()
  @Post('rooms/:roomId/join')
  @HttpCode(200)
  @RateLimited()
  async joinRoom(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(joinBody, raw);
    return { room_id: await this.joinKnownOrRemote(r, t, roomId, [], body.reason, customMemberContent(raw)) };
  }

  /**
   * POST /join/{roomIdOrAlias}: aliases of this deployment resolve locally. A
   * room this server is not in is joined through the servers named by
   * `via` (or the deprecated `server_name`) and the room ID's own server.
   */
  @GuestAllowed()
  @Post('join/:roomIdOrAlias')
  @HttpCode(200)
  @RateLimited()
  async join(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomIdOrAlias') target: string,
    @Body() raw: unknown,
    @ViaServers() via: string[],
  ) {
    const body = validateBody(joinBody, raw);
    const resolved = await this.aliases.resolveRoomIdOrAlias(t.serverName, target, via);
    return {
      room_id: await this.joinKnownOrRemote(
        r,
        t,
        resolved.roomId,
        resolved.servers,
        body.reason,
        customMemberContent(raw),
      ),
    };
  }

  /**
   * A room this server is in is joined by the room-server; another is joined
   * through the servers named, the room ID's own server, the server of
   * whoever invited the user and, for a room this server was in before, the
   * servers it last knew in it. A room this server only knows old state of
   * is joined remotely too (server-server-api "Joining Rooms": only a
   * resident server can build a join on the room's current state); a room
   * no other server is known in falls back to this server's own state.
   */
  private async joinKnownOrRemote(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    via: string[],
    reason: string | undefined,
    content: JsonObject,
  ): Promise<string> {
    requireNotSuspended(r);
    if (r.isGuest) await this.requireGuestsMayJoin(roomId);
    const known = (await this.storage.reader.roomVersion(roomId)) !== undefined;
    if (known && (await isResident(this.storage.reader, this.tenants, roomId)))
      return this.joinLocal(r, t, roomId, via, reason, content);
    if (!isRoomId(roomId)) throw Errors.invalidParam(`Invalid room ID ${roomId}`);
    const invite = await this.invites.pending(roomId, r.userId);
    const lastKnown = known ? await this.storage.reader.joinedServers(roomId) : [];
    const servers = [
      ...new Set(
        [...via, serverNameOf(roomId), invite && serverNameOf(invite.pdu.sender), ...lastKnown].filter(
          (s): s is string => !!s && !this.tenants.isLocal(s),
        ),
      ),
    ];
    if (known && servers.length === 0) return this.joinLocal(r, t, roomId, via, reason, content);
    return this.joinRemote(r, t, roomId, servers, content, known);
  }

  private async joinLocal(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    via: string[],
    reason: string | undefined,
    content: JsonObject,
  ): Promise<string> {
    try {
      await this.act(r, t, roomId, 'join', r.userId, reason, content);
    } catch (e) {
      return this.joinRestrictedElsewhere(e, r, t, roomId, via, content);
    }
    // A joined replacement room gets the user's settings of the room it replaced.
    await this.carryOver.carryOver(r.userId, roomId);
    return roomId;
  }

  /**
   * client-server-api "Guest Access": guests join only rooms whose
   * m.room.guest_access is can_join. A room on another server cannot be
   * checked before the join, so guests join only rooms this server is in.
   */
  private async requireGuestsMayJoin(roomId: string): Promise<void> {
    const guestAccess = (await this.storage.reader.roomVersion(roomId))
      ? await this.storage.reader.stateEvent(roomId, 'm.room.guest_access', '')
      : undefined;
    if (guestAccess?.pdu.content.guest_access !== 'can_join') throw Errors.forbidden('Guests may not join this room');
  }

  @Post('rooms/:roomId/invite')
  @HttpCode(200)
  @RateLimited()
  async invite(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    requireNotSuspended(r);
    const body = validateBody(inviteBody, raw);
    const server = serverNameOf(body.user_id);
    if (server && !this.tenants.isLocal(server)) {
      await this.inviter.invite(r.userId, t, roomId, body.user_id, server, body.reason);
    } else {
      // Inviting a bridged user who does not exist yet: the application service whose namespace holds it may create it now.
      await this.namespaces.ensureUser(body.user_id);
      await this.act(r, t, roomId, 'invite', body.user_id, body.reason);
    }
    return {};
  }

  @GuestAllowed()
  @Post('rooms/:roomId/leave')
  @HttpCode(200)
  async leave(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(reasonBody, raw);
    if (
      (await this.storage.reader.roomVersion(roomId)) &&
      (await isResident(this.storage.reader, this.tenants, roomId))
    ) {
      await this.act(r, t, roomId, 'leave', r.userId, body.reason);
      return {};
    }
    const invite = await this.invites.pending(roomId, r.userId);
    const knock = await this.knocks.pending(roomId, r.userId);
    if (invite) await this.declineRemoteInvite(r, t, invite);
    else if (knock) await this.retractRemoteKnock(r, t, roomId, knock);
    else await this.act(r, t, roomId, 'leave', r.userId, body.reason);
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

  /** POST /forget: only rooms the user has left can be forgotten (client-server-api: 400 M_UNKNOWN otherwise). */
  @Post('rooms/:roomId/forget')
  @HttpCode(200)
  async forget(@Auth() r: Requester, @Param('roomId') roomId: string) {
    const membership = await this.storage.reader.membership(roomId, r.userId);
    if (membership === 'join' || membership === 'invite')
      throw new MatrixError(400, 'M_UNKNOWN', `${r.userId} is in room ${roomId}: leave it before forgetting it`);
    await this.storage.db.forgottenRoom.upsert({
      where: { userId_roomId: { userId: r.userId, roomId } },
      create: { userId: r.userId, roomId },
      update: {},
    });
    return {};
  }

  private async moderate(r: Requester, t: TenantConfig, roomId: string, action: MembershipAction, raw: unknown) {
    const body = validateBody(targetBody, raw);
    await this.act(r, t, roomId, action, body.user_id, body.reason);
    return {};
  }

  private async act(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    action: MembershipAction,
    target: string,
    reason?: string,
    content?: JsonObject,
  ): Promise<string> {
    await this.rooms.submit({
      kind: 'membership',
      serverName: t.serverName,
      sender: r.userId,
      roomId,
      action,
      target,
      reason,
      ...(content ? { content } : {}),
    });
    return roomId;
  }

  /**
   * Declines an invite to a room this server is not in: a leave through the
   * inviter's server (server-server-api "Leaving Rooms (Rejecting
   * Invites)"). If that server cannot be reached or refuses, the user still
   * said no: the leave is this server's own (outOfBandLeave). Either way the
   * room moves to the user's rooms.leave with that leave.
   */
  private async declineRemoteInvite(r: Requester, t: TenantConfig, invite: PendingInvite): Promise<void> {
    const roomId = invite.pdu.room_id!;
    const server = serverNameOf(invite.pdu.sender);
    const key = await this.keyring.signingKey(t.serverName);
    const left =
      server &&
      (await leaveThrough(this.federation, key, t.serverName, server, r.userId, roomId).catch((e: unknown) => {
        this.logger.debug(
          `Declining the invite of ${invite.pdu.sender} to ${roomId} through ${server} failed; declined here alone: ${String(e)}`,
        );
        return undefined;
      }));
    const version = invite.roomVersion === undefined ? undefined : findRoomVersion(invite.roomVersion);
    const leave = left || (version && outOfBandLeave(version, invite, t.serverName, key));
    if (leave) await this.invites.left(leave.pdu, leave.eventId);
    // An invite kept before its room's version was recorded cannot be answered with a leave of this server's: it goes.
    else await this.storage.db.remoteInvite.deleteMany({ where: { roomId, userId: r.userId } });
  }

  /**
   * Retracts a knock on a room this server is not in: a leave through the
   * server that took the knock (server-server-api "Knocking upon a room":
   * "Servers can retract knocks over federation by leaving the room").
   * Unlike a declined invite, the knock stays if that server cannot be
   * reached: the room would still see it.
   */
  private async retractRemoteKnock(r: Requester, t: TenantConfig, roomId: string, knock: PendingKnock): Promise<void> {
    const left = await leaveThrough(
      this.federation,
      await this.keyring.signingKey(t.serverName),
      t.serverName,
      knock.server,
      r.userId,
      roomId,
    ).catch(remoteFailure(`retract the knock through ${knock.server}`));
    await this.knocks.left(knock, left.pdu, left.eventId);
  }

  /**
   * A restricted room this server cannot let the user into (none of its members who may invite can
   * vouch, or it does not know the user is in an allowed room) may still be joined through another
   * server in it (client-server-api "Restricted rooms"); any other refusal stands.
   */
  private async joinRestrictedElsewhere(
    refusal: unknown,
    r: Requester,
    t: TenantConfig,
    roomId: string,
    via: string[],
    content: JsonObject,
  ): Promise<string> {
    if (!(refusal instanceof MatrixError) || refusal.errcode !== 'M_FORBIDDEN') throw refusal;
    const version = await this.storage.reader.roomVersion(roomId);
    const joinRules = await this.storage.reader.stateEvent(roomId, 'm.room.join_rules', '');
    if (
      !version ||
      !restrictedJoinAllowedRooms(version, (type, key) =>
        type === 'm.room.join_rules' && key === '' ? joinRules?.pdu : undefined,
      )?.length
    )
      throw refusal;
    const servers = [...new Set([...via, ...(await this.storage.reader.joinedServers(roomId))])].filter(
      (s) => s !== t.serverName,
    );
    if (servers.length === 0) throw refusal;
    // Where no other server lets the user in either, this server's own refusal is the answer.
    return this.joinRemote(r, t, roomId, servers, content, true).catch((e: unknown) => {
      this.logger.debug(`Joining ${roomId} through ${servers.join(', ')} failed too: ${String(e)}`);
      throw refusal;
    });
  }

  /** Joins through another server (libs/federation RemoteJoiner), then hands the checked room to the room-server. */
  private async joinRemote(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    servers: string[],
    content: JsonObject,
    /** The room is here already (a rejoin): its state comes whole, not partial. */
    rejoin = false,
  ): Promise<string> {
    if (servers.length === 0)
      throw Errors.notFound(`${roomId} is not known here; name a server to join it through (via)`);
    const profile = (await this.accounts.getProfile(r.userId)) ?? {};
    const joined = await this.remote
      .join(t.serverName, r.userId, roomId, servers, { ...(profile as JsonObject), ...content }, { fullState: rejoin })
      .catch(remoteFailure(`join ${roomId} through ${servers.join(', ')}`));
    const missed = rejoin ? await this.missedSinceLeaving(t, joined, servers) : [];
    await this.rooms.submit({
      kind: 'remoteJoin',
      serverName: t.serverName,
      sender: r.userId,
      roomId,
      roomVersion: joined.version.id,
      eventId: joined.eventId,
      pdu: joined.pdu,
      state: joined.state,
      authChain: joined.authChain,
      ...(joined.partial ? { partial: joined.partial } : {}),
      ...(missed.length ? { missed } : {}),
    });
    await this.carryOver.carryOver(r.userId, roomId);
    return roomId;
  }

  /**
   * What a room this server had left got since (client-server-api
   * "Room history visibility" lets a user rejoining a shared room page back
   * through it): fetched from the resident up to the join's prev events.
   * If it cannot be fetched whole, the join leaves a gap in the timeline.
   */
  private async missedSinceLeaving(t: TenantConfig, joined: RemoteJoin, servers: string[]) {
    return fetchMissedEvents(this.federation, this.keys, {
      origin: t.serverName,
      servers: [...new Set([joined.server, ...servers])],
      roomId: joined.pdu.room_id!,
      version: joined.version,
      latest: referencedIds(joined.pdu.prev_events),
      known: async (eventIds) =>
        new Set(
          (
            await this.storage.db.event.findMany({
              where: { eventId: { in: eventIds }, isOutlier: false },
              select: { eventId: true },
            })
          ).map((e) => e.eventId),
        ),
    }).catch((e: unknown) => {
      this.logger.debug(`The events ${joined.pdu.room_id} got since this server left were not fetched: ${String(e)}`);
      return [];
    });
  }
}
