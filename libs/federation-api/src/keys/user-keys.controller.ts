import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import {
  AccountStore,
  CrossSigningStore,
  DeviceKeyStore,
  DeviceListStore,
  type DeviceKeyQuery,
  type OneTimeKeyClaim,
} from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import { serverNameOf } from '@lattice/protocol';
import { FederationAuthGuard } from '../auth/federation-auth.guard';

/**
 * Other servers asking about this tenant's users' devices and end-to-end
 * keys, cross-signing keys included (master and self-signing: the
 * user-signing key is only for its owner) (server-server-api "Device
 * Management", "End-to-End Encryption").
 * Users of other servers in a request are ignored.
 */
@Controller('_matrix/federation/v1/user')
@UseGuards(FederationAuthGuard)
export class UserKeysController {
  constructor(
    private readonly keys: DeviceKeyStore,
    private readonly accounts: AccountStore,
    private readonly deviceLists: DeviceListStore,
    private readonly crossSigning: CrossSigningStore,
  ) {}

  @Post('keys/query')
  @Public()
  @HttpCode(200)
  async query(@Tenant() t: TenantConfig, @Body() body: unknown) {
    const wanted = ours(t, (body as { device_keys?: DeviceKeyQuery })?.device_keys);
    const { master_keys, self_signing_keys } = await this.crossSigning.forQuery(Object.keys(wanted), undefined);
    return { device_keys: await this.keys.query(wanted), master_keys, self_signing_keys };
  }

  @Post('keys/claim')
  @Public()
  @HttpCode(200)
  async claim(@Tenant() t: TenantConfig, @Body() body: unknown) {
    return {
      one_time_keys: await this.keys.claim(ours(t, (body as { one_time_keys?: OneTimeKeyClaim })?.one_time_keys)),
    };
  }

  @Get('devices/:userId')
  @Public()
  async devices(@Tenant() t: TenantConfig, @Param('userId') userId: string) {
    if (serverNameOf(userId) !== t.serverName) throw Errors.invalidParam(`${userId} is not a user of ${t.serverName}`);
    const keys = (await this.keys.query({ [userId]: [] }))[userId] ?? {};
    const devices = await this.accounts.listDevices(userId);
    const crossSigning = await this.crossSigning.forQuery([userId], undefined);
    return {
      ...(crossSigning.master_keys[userId] ? { master_key: crossSigning.master_keys[userId] } : {}),
      ...(crossSigning.self_signing_keys[userId] ? { self_signing_key: crossSigning.self_signing_keys[userId] } : {}),
      user_id: userId,
      // The stream_id of the latest m.device_list_update sent for this user: later EDUs' prev_id follow on from it.
      stream_id: Number(await this.deviceLists.latestStreamId(userId)),
      devices: devices.map((d) => ({
        device_id: d.deviceId,
        ...(keys[d.deviceId] ? { keys: keys[d.deviceId] } : {}),
        ...(d.displayName ? { device_display_name: d.displayName } : {}),
      })),
    };
  }
}

/** The part of a request about this tenant's users. */
function ours<T>(t: TenantConfig, byUser: Record<string, T> | undefined): Record<string, T> {
  if (typeof byUser !== 'object' || byUser === null || Array.isArray(byUser))
    throw Errors.badJson('Expected an object of user IDs');
  return Object.fromEntries(Object.entries(byUser).filter(([userId]) => serverNameOf(userId) === t.serverName));
}
