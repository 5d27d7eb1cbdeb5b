import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  AccountStore,
  DehydratedDeviceStore,
  DeviceKeyStore,
  DeviceListStore,
  parseDehydratedDeviceUpload,
  parseEventsBatch,
} from '@lattice/accounts';
import { Auth, Errors, Requester, requireJsonObject } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';

const noDehydratedDevice = () => Errors.notFound('No dehydrated device');

/**
 * Dehydrated devices (MSC3814, unstable prefix org.matrix.msc3814.v1): a
 * device a client leaves on the server, with keys and no access token, so
 * messages sent while none of the user's devices is online are still
 * encrypted for a device of theirs; a new device downloads it (device_data is
 * its state, encrypted with a key in secret storage) and reads its to-device
 * messages to get the room keys.
 */
@Controller('_matrix/client/unstable/org.matrix.msc3814.v1')
export class DehydratedDeviceController {
  constructor(
    private readonly dehydrated: DehydratedDeviceStore,
    private readonly accounts: AccountStore,
    private readonly keys: DeviceKeyStore,
    private readonly deviceLists: DeviceListStore,
  ) {}

  /**
   * Replaces the user's dehydrated device: the previous one goes with its
   * keys and to-device messages (through deleteDevices, so room-mates learn
   * it is gone), then the new one is stored with the keys in the same body.
   */
  @Put('dehydrated_device')
  async put(@Auth() r: Requester, @Body() raw: unknown) {
    const upload = parseDehydratedDeviceUpload(requireJsonObject<JsonObject>(raw), r.userId);
    // A real device's ID would hand its keys and messages to whoever holds the dehydration key.
    if (await this.dehydrated.isOrdinaryDevice(r.userId, upload.deviceId))
      throw Errors.invalidParam('device_id is already used by another device');
    const previous = await this.dehydrated.get(r.userId);
    if (previous) await this.accounts.deleteDevices(r.userId, [previous.deviceId]);
    await this.dehydrated.put(r.userId, upload.deviceId, upload.deviceData, upload.displayName);
    await this.keys.upload(r.userId, upload.deviceId, {
      deviceKeys: upload.deviceKeys,
      oneTimeKeys: upload.oneTimeKeys,
      fallbackKeys: upload.fallbackKeys,
    });
    await this.deviceLists.changed(r.userId, [upload.deviceId], 'local');
    return { device_id: upload.deviceId };
  }

  @Get('dehydrated_device')
  async get(@Auth() r: Requester) {
    const device = await this.dehydrated.get(r.userId);
    if (!device) throw noDehydratedDevice();
    return { device_id: device.deviceId, device_data: device.deviceData };
  }

  @Delete('dehydrated_device')
  async delete(@Auth() r: Requester) {
    const device = await this.dehydrated.get(r.userId);
    if (!device) throw noDehydratedDevice();
    await this.accounts.deleteDevices(r.userId, [device.deviceId]);
    await this.dehydrated.forget(r.userId);
    return { device_id: device.deviceId };
  }

  /** MSC3814 pages with POST and `next_batch` in the body; matrix-js-sdk sends GET with `from`: both are served. */
  @Post('dehydrated_device/:deviceId/events')
  @HttpCode(200)
  async events(@Auth() r: Requester, @Param('deviceId') deviceId: string, @Body() raw: unknown) {
    return this.page(r.userId, deviceId, parseEventsBatch(raw == null ? undefined : requireJsonObject(raw).next_batch));
  }

  @Get('dehydrated_device/:deviceId/events')
  async eventsByQuery(
    @Auth() r: Requester,
    @Param('deviceId') deviceId: string,
    @Query('from') from: string | undefined,
  ) {
    return this.page(r.userId, deviceId, parseEventsBatch(from));
  }

  private async page(userId: string, deviceId: string, after: bigint | undefined) {
    const device = await this.dehydrated.get(userId);
    if (device?.deviceId !== deviceId) throw Errors.forbidden('Not the dehydrated device of this user');
    return this.dehydrated.events(userId, deviceId, after);
  }
}
