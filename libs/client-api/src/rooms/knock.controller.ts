import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient, knockThrough, ServerKeys } from '@lattice/federation';
import { Auth, Errors, RateLimited, requireNotSuspended, Requester, Tenant, validateBody } from '@lattice/http';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { Keyring, RemoteKnocks, RoomInputClient } from '@lattice/rooms';
import { AliasResolver } from '../directory/alias-resolver';
import { StorageAccess } from '../storage-access';
import { remoteFailure } from './remote-failure';
import { reasonBody } from './room-schemas';
import { ViaServers } from './via-servers.decorator';

/**
 * POST /knock/{roomIdOrAlias} (client-server-api "Knocking on rooms"): a
 * request to be invited. A room this server is in gets the knock from the
 * room-server, whose auth rules refuse it unless the join rule is `knock`
 * (or `knock_restricted`); another goes through make_knock / send_knock on
 * a server named by `via`, `server_name`, the alias or the room ID.
 */
@Controller('_matrix/client/v3')
export class KnockController {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly aliases: AliasResolver,
    private readonly federation: FederationClient,
    private readonly keys: ServerKeys,
    private readonly keyring: Keyring,
    private readonly knocks: RemoteKnocks,
    private readonly tenants: TenantDirectory,
  ) {}

  @Post('knock/:roomIdOrAlias')
  @HttpCode(200)
  @RateLimited()
  async knock(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomIdOrAlias') target: string,
    @Body() raw: unknown,
    @ViaServers() via: string[],
  ) {
    requireNotSuspended(r);
    const body = validateBody(reasonBody, raw);
    const { roomId, servers } = await this.aliases.resolveRoomIdOrAlias(t.serverName, target, via);
    if (await this.storage.reader.roomVersion(roomId)) {
      await this.rooms.submit({
        kind: 'membership',
        serverName: t.serverName,
        sender: r.userId,
        roomId,
        action: 'knock',
        target: r.userId,
        reason: body.reason,
      });
      return { room_id: roomId };
    }
    const through = [
      ...new Set(
        [...servers, serverNameOf(roomId)].filter((s): s is string => s !== undefined && !this.tenants.isLocal(s)),
      ),
    ];
    if (through.length === 0)
      throw Errors.notFound(`${roomId} is not known here; name a server to knock through (via)`);
    const content: JsonObject = body.reason === undefined ? {} : { reason: body.reason };
    const knock = await knockThrough(
      this.federation,
      this.keys,
      await this.keyring.signingKey(t.serverName),
      t.serverName,
      through,
      r.userId,
      roomId,
      content,
    ).catch(remoteFailure(`knock on ${roomId} through ${through.join(', ')}`));
    await this.knocks.knocked(
      knock.server,
      knock.version.id,
      knock.pdu,
      knock.eventId,
      knock.knockRoomState as unknown as JsonObject[],
    );
    return { room_id: roomId };
  }
}
