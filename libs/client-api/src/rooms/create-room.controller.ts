import { Body, Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { Auth, RateLimited, requireNotSuspended, Requester, Tenant, validateBody } from '@lattice/http';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { RoomInputClient } from '@lattice/rooms';
import { RemoteInviter } from './remote-inviter';
import { createRoomBody } from './room-schemas';
import { UpgradeCarryOver } from './upgrade-carry-over';

@Controller('_matrix/client/v3')
export class CreateRoomController {
  private readonly logger = new Logger(CreateRoomController.name);

  constructor(
    private readonly rooms: RoomInputClient,
    private readonly tenants: TenantDirectory,
    private readonly inviter: RemoteInviter,
    private readonly carryOver: UpgradeCarryOver,
  ) {}

  /**
   * POST /createRoom: validated here, built and persisted by the room-server
   * in one transaction with the invites of our users. Users of other servers
   * are invited afterwards through their server (/invite); the room exists by
   * then, so an invite their server refuses is logged and the room returned
   * (failing the request would have the client create a second room).
   */
  @Post('createRoom')
  @HttpCode(200)
  @RateLimited()
  async createRoom(@Auth() requester: Requester, @Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    requireNotSuspended(requester);
    const request = validateBody(createRoomBody, raw);
    const isRemote = (userId: string) => !this.tenants.isLocal(serverNameOf(userId) ?? '');
    const remote = (request.invite ?? []).filter(isRemote);
    const local = { ...request, invite: (request.invite ?? []).filter((userId) => !isRemote(userId)) };
    const { roomId } = await this.rooms.submit({
      kind: 'createRoom',
      serverName: tenant.serverName,
      sender: requester.userId,
      request: local as JsonObject,
    });
    // A room created as another's replacement (an upgrade done by hand) gets the creator's settings of it, as
    // one made by /upgrade does.
    if (request.creation_content?.predecessor !== undefined) await this.carryOver.carryOver(requester.userId, roomId);
    for (const invitee of remote) {
      await this.inviter
        .invite(
          requester.userId,
          tenant,
          roomId,
          invitee,
          serverNameOf(invitee)!,
          undefined,
          request.is_direct ? { is_direct: true } : {},
        )
        .catch((e: Error) =>
          this.logger.warn(`Room ${roomId} created, but ${invitee} could not be invited: ${e.message}`),
        );
    }
    return { room_id: roomId };
  }
}
