import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AccountStore, DehydratedDeviceStore } from '@lattice/accounts';
import { Auth, Errors, Requester, validateBody } from '@lattice/http';
import { requirePassword } from '../accounts/password-stage';
import { deleteDeviceBody, deleteDevicesBody, renameDeviceBody } from './device-schemas';

interface DeviceRow {
  deviceId: string;
  displayName: string | null;
  lastSeenTs: bigint | null;
  lastSeenIp: string | null;
}

/**
 * The requester's own devices (client-server-api "Device Management"):
 * list, read, rename, and delete with re-authentication. Deleting goes
 * through AccountStore.deleteDevices, which takes the tokens (refused at once
 * in every process), keys and to-device inbox with it and tells room-mates
 * and other servers. The dehydrated device (MSC3814) is not listed: no
 * one signs in with it, and clients would offer it for verification or sign-out.
 */
@Controller('_matrix/client/v3')
export class DevicesController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly dehydrated: DehydratedDeviceStore,
  ) {}

  @Get('devices')
  async list(@Auth() r: Requester) {
    const [devices, dehydrated] = await Promise.all([
      this.accounts.listDevices(r.userId),
      this.dehydrated.get(r.userId),
    ]);
    return { devices: devices.filter((d) => d.deviceId !== dehydrated?.deviceId).map(deviceJson) };
  }

  @Get('devices/:deviceId')
  async get(@Auth() r: Requester, @Param('deviceId') deviceId: string) {
    const device = await this.accounts.getDevice(r.userId, deviceId);
    if (!device || (await this.dehydrated.get(r.userId))?.deviceId === deviceId)
      throw Errors.notFound('No such device');
    return deviceJson(device);
  }

  @Put('devices/:deviceId')
  async rename(@Auth() r: Requester, @Param('deviceId') deviceId: string, @Body() raw: unknown) {
    const body = validateBody(renameDeviceBody, raw);
    const exists =
      body.display_name === undefined
        ? (await this.accounts.getDevice(r.userId, deviceId)) !== null
        : await this.accounts.renameDevice(r.userId, deviceId, body.display_name);
    if (!exists) throw Errors.notFound('No such device');
    return {};
  }

  /** Deleting a device that does not exist (any more) succeeds: the outcome the client asked for holds. */
  @Delete('devices/:deviceId')
  async delete(@Auth() r: Requester, @Param('deviceId') deviceId: string, @Body() raw: unknown) {
    const body = validateBody(deleteDeviceBody, raw ?? {});
    await requirePassword(this.accounts, r.userId, body.auth);
    await this.accounts.deleteDevices(r.userId, [deviceId]);
    return {};
  }

  @Post('delete_devices')
  @HttpCode(200)
  async deleteMany(@Auth() r: Requester, @Body() raw: unknown) {
    const body = validateBody(deleteDevicesBody, raw);
    await requirePassword(this.accounts, r.userId, body.auth);
    if (body.devices.length > 0) await this.accounts.deleteDevices(r.userId, body.devices);
    return {};
  }
}

function deviceJson(d: DeviceRow) {
  return {
    device_id: d.deviceId,
    display_name: d.displayName ?? undefined,
    last_seen_ts: d.lastSeenTs === null ? undefined : Number(d.lastSeenTs),
    last_seen_ip: d.lastSeenIp ?? undefined,
  };
}
