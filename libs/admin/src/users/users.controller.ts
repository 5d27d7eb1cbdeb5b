import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AccountStore, AdminGuard, localUser, whoisAnswer } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, nextToken, Public, queryBool, queryChoice, queryInt, Tenant, validateBody } from '@lattice/http';
import { RoomExits } from '../rooms/room-exits';
import { AdminUsers, USER_ORDERINGS } from './admin-users';

const putUserBody = z.object({
  password: z.string().min(1).optional(),
  logout_devices: z.boolean().default(true),
  displayname: z.string().nullable().optional(),
  avatar_url: z.string().nullable().optional(),
  admin: z.boolean().optional(),
  deactivated: z.boolean().optional(),
  // Lattice keeps no user types or third-party IDs, and locks accounts through the spec's PUT /_matrix/client/v1/admin/lock: only the "none" value of each is taken here.
  user_type: z.null().optional(),
  locked: z.literal(false).optional(),
  threepids: z.array(z.never()).optional(),
  external_ids: z.array(z.never()).optional(),
});

const resetPasswordBody = z.object({ new_password: z.string().min(1), logout_devices: z.boolean().default(true) });
const deactivateBody = z.object({ erase: z.boolean().default(false) });
const adminBody = z.object({ admin: z.boolean() });

/**
 * Synapse's user admin API (docs "Users"): list, query, create or modify,
 * deactivate, reset password, whois, devices, joined rooms. Every route is
 * for admins of the tenant the Host names, about users of that tenant.
 */
@Controller('_synapse/admin')
export class AdminUsersController {
  constructor(
    private readonly users: AdminUsers,
    private readonly accounts: AccountStore,
    private readonly exits: RoomExits,
  ) {}

  /** synapse-admin and other tools ask this first; it needs no token in Synapse either. */
  @Get('v1/server_version')
  @Public()
  serverVersion() {
    return { server_version: `Lattice ${process.env.npm_package_version ?? '0.1.0'}` };
  }

  @Get('v2/users')
  @UseGuards(AdminGuard)
  async list(@Tenant() tenant: TenantConfig, @Query() q: Record<string, string | undefined>) {
    const from = queryInt(q.from, 0, 'from');
    const { users, total } = await this.users.list(tenant.serverName, {
      from,
      limit: queryInt(q.limit, 100, 'limit'),
      guests: queryBool(q.guests, 'guests') ?? true,
      deactivated: queryBool(q.deactivated, 'deactivated') ?? false,
      admins: queryBool(q.admins, 'admins'),
      name: q.name || undefined,
      userId: q.user_id || undefined,
      orderBy: queryChoice(q.order_by, USER_ORDERINGS, 'name', 'order_by'),
      backwards: queryChoice(q.dir, ['f', 'b'], 'f', 'dir') === 'b',
    });
    return { users, total, ...nextToken(from, users.length, total) };
  }

  @Get('v2/users/:userId')
  @UseGuards(AdminGuard)
  async get(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    return this.details(localUser(tenant.serverName, userId));
  }

  /** Creates the user (201) or changes them (200); fields left out stay as they are. */
  @Put('v2/users/:userId')
  @UseGuards(AdminGuard)
  async put(
    @Tenant() tenant: TenantConfig,
    @Param('userId') userId: string,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    localUser(tenant.serverName, userId);
    const body = validateBody(putUserBody, raw);
    const existing = await this.users.get(userId);
    if (!existing) {
      await this.accounts.createUser(tenant.serverName, userId.slice(1, userId.indexOf(':')), body.password);
      reply.status(201);
    } else if (body.password !== undefined) {
      await this.accounts.setPassword(userId, body.password);
      if (body.logout_devices) await this.accounts.deleteDevices(userId);
    }
    if (body.displayname !== undefined) await this.accounts.setProfileField(userId, 'displayname', body.displayname);
    if (body.avatar_url !== undefined) await this.accounts.setProfileField(userId, 'avatar_url', body.avatar_url);
    if (body.admin !== undefined) await this.users.setAdmin(userId, body.admin);
    if (body.deactivated === true && !existing?.deactivated) await this.deactivateUser(tenant, userId, false);
    if (body.deactivated === false && existing?.deactivated) {
      // As in Synapse: a reactivated account needs a password to be usable.
      if (body.password === undefined) throw Errors.invalidParam('Reactivating a user needs a password');
      await this.users.reactivate(userId);
      await this.accounts.setPassword(userId, body.password);
    }
    return this.details(userId);
  }

  @Get('v1/users/:userId/admin')
  @UseGuards(AdminGuard)
  async isAdmin(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    return { admin: (await this.users.require(localUser(tenant.serverName, userId))).admin };
  }

  @Put('v1/users/:userId/admin')
  @UseGuards(AdminGuard)
  async setAdmin(@Tenant() tenant: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    await this.users.require(localUser(tenant.serverName, userId));
    await this.users.setAdmin(userId, validateBody(adminBody, raw).admin);
    return {};
  }

  /** Logs every device out, removes the password and leaves every room; `erase` as in /account/deactivate. */
  @Post('v1/deactivate/:userId')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  async deactivate(@Tenant() tenant: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    await this.users.require(localUser(tenant.serverName, userId));
    await this.deactivateUser(tenant, userId, validateBody(deactivateBody, raw ?? {}).erase);
    return { id_server_unbind_result: 'success' };
  }

  @Post('v1/reset_password/:userId')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  async resetPassword(@Tenant() tenant: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    const user = await this.users.require(localUser(tenant.serverName, userId));
    if (user.deactivated) throw Errors.invalidParam('The user is deactivated');
    const body = validateBody(resetPasswordBody, raw);
    await this.accounts.setPassword(userId, body.new_password);
    if (body.logout_devices) await this.accounts.deleteDevices(userId);
    return {};
  }

  @Get('v1/whois/:userId')
  @UseGuards(AdminGuard)
  async whois(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    await this.users.require(localUser(tenant.serverName, userId));
    return whoisAnswer(userId, await this.accounts.listDevices(userId));
  }

  @Get('v2/users/:userId/devices')
  @UseGuards(AdminGuard)
  async devices(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    await this.users.require(localUser(tenant.serverName, userId));
    const devices = (await this.accounts.listDevices(userId)).map((d) => ({
      device_id: d.deviceId,
      display_name: d.displayName,
      last_seen_ip: d.lastSeenIp,
      last_seen_ts: d.lastSeenTs === null ? null : Number(d.lastSeenTs),
      user_id: userId,
    }));
    return { devices, total: devices.length };
  }

  @Delete('v2/users/:userId/devices/:deviceId')
  @UseGuards(AdminGuard)
  async deleteDevice(
    @Tenant() tenant: TenantConfig,
    @Param('userId') userId: string,
    @Param('deviceId') deviceId: string,
  ) {
    await this.users.require(localUser(tenant.serverName, userId));
    await this.accounts.deleteDevices(userId, [deviceId]);
    return {};
  }

  @Get('v1/users/:userId/joined_rooms')
  @UseGuards(AdminGuard)
  async joinedRooms(@Tenant() tenant: TenantConfig, @Param('userId') userId: string) {
    await this.users.require(localUser(tenant.serverName, userId));
    const rooms = await this.exits.joinedRooms(userId);
    return { joined_rooms: rooms, total: rooms.length };
  }

  private async deactivateUser(tenant: TenantConfig, userId: string, erase: boolean): Promise<void> {
    await this.accounts.deactivate(userId, erase);
    await this.exits.leaveAll(userId, tenant.serverName);
  }

  private async details(userId: string) {
    const user = await this.users.require(userId);
    return {
      ...user,
      threepids: [],
      external_ids: [],
      appservice_id: null,
      consent_server_notice_sent: null,
      consent_version: null,
      consent_ts: null,
      last_seen_ts: await this.users.lastSeen(userId),
    };
  }
}
