import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import { z } from 'zod';
import { RoomUpgrader } from './room-upgrader';

const upgradeBody = z.object({
  new_version: z.string().min(1),
  additional_creators: z
    .array(z.string().regex(/^@[^:]+:.+$/, 'must be a user ID (@localpart:server)'))
    .max(100)
    .optional(),
});

/** POST /rooms/{roomId}/upgrade (client-server-api "Room Upgrades"). */
@Controller('_matrix/client/v3/rooms/:roomId')
export class UpgradeController {
  constructor(private readonly upgrader: RoomUpgrader) {}

  @Post('upgrade')
  @HttpCode(200)
  @RateLimited()
  async upgrade(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(upgradeBody, raw);
    return {
      replacement_room: await this.upgrader.upgrade(r.userId, t, roomId, body.new_version, body.additional_creators),
    };
  }
}
