import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { RoomInputClient } from '@lattice/room-server';
import { createRoomBody } from './room-schemas';

@Controller('_matrix/client/v3')
export class CreateRoomController {
  constructor(private readonly rooms: RoomInputClient) {}

  /** POST /createRoom: validated here, built and persisted by the room-server in one transaction. */
  @Post('createRoom')
  @HttpCode(200)
  @RateLimited()
  async createRoom(@Auth() requester: Requester, @Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    const request = validateBody(createRoomBody, raw);
    const { roomId } = await this.rooms.submit({ kind: 'createRoom', serverName: tenant.serverName, sender: requester.userId, request: request as JsonObject });
    return { room_id: roomId };
  }
}
