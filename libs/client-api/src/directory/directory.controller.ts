import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient } from '@lattice/federation';
import { Auth, Errors, integerParam, MatrixError, Public, Requester, Tenant, validateBody } from '@lattice/http';
import { isValidRoomAlias, isValidServerName, parsePowerLevels, powerLevelOf } from '@lattice/protocol';
import { listPublicRooms, type PublicRoomsPage } from '@lattice/rooms';
import { aliasBody, publicRoomsBody, visibilityBody } from '../rooms/room-schemas';
import { StorageAccess } from '../storage-access';
import { AliasResolver } from './alias-resolver';
import { CanonicalAliasRemoval } from './canonical-alias-removal';
import { requireJoined } from '../rooms/room-access';
import { AppserviceAccess } from '../appservice/appservice-access';

/** Room aliases and the published room directory (client-server-api "Room aliases", "Listing rooms"). */
@Controller('_matrix/client/v3')
export class DirectoryController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly aliases: AliasResolver,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
    private readonly appservices: AppserviceAccess,
    private readonly canonicalAliases: CanonicalAliasRemoval,
  ) {}

  @Put('directory/room/:alias')
  async createAlias(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('alias') alias: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(aliasBody, raw);
    this.requireLocalAlias(alias, t);
    this.appservices.requireAliasAllowed(t, r, alias);
    if (!(await this.storage.reader.roomVersion(body.room_id))) throw Errors.notFound('Room not found');
    if (await this.storage.db.roomAlias.findUnique({ where: { alias } }))
      throw Errors.roomInUse('Room alias already exists');
    await this.storage.db.roomAlias.create({
      data: { alias, roomId: body.room_id, serverName: t.serverName, creator: r.userId },
    });
    return {};
  }

  @Get('directory/room/:alias')
  @Public()
  async resolveAlias(@Tenant() t: TenantConfig, @Param('alias') alias: string) {
    const { roomId, servers } = await this.aliases.resolve(t.serverName, alias);
    return { room_id: roomId, servers };
  }

  /** Deleting needs to be the alias's creator or a room moderator (spec: server-defined, Synapse-like). */
  @Delete('directory/room/:alias')
  async deleteAlias(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('alias') alias: string) {
    const row = await this.storage.db.roomAlias.findUnique({ where: { alias } });
    if (!row) throw Errors.notFound(`Room alias ${alias} not found`);
    this.appservices.requireAliasAllowed(t, r, alias);
    // An application service manages the aliases of its namespace whoever created them (application-service-api "Server admin style permissions").
    const byService = this.appservices.serviceOfRequester(t, r) !== undefined;
    if (!byService && row.creator !== r.userId && !(await this.isModerator(row.roomId, r.userId)))
      throw Errors.forbidden('You may not delete this alias');
    // The delete is the check that counts: of two requests deleting the alias at once, the second finds nothing.
    const { count } = await this.storage.db.roomAlias.deleteMany({ where: { alias } });
    if (count === 0) throw Errors.notFound(`Room alias ${alias} not found`);
    await this.canonicalAliases.afterDeleting(t.serverName, r.userId, row.roomId, alias);
    return {};
  }

  @Get('rooms/:roomId/aliases')
  async roomAliases(@Auth() r: Requester, @Param('roomId') roomId: string) {
    await requireJoined(this.storage.reader, roomId, r.userId);
    return { aliases: (await this.storage.db.roomAlias.findMany({ where: { roomId } })).map((a) => a.alias) };
  }

  @Get('directory/list/room/:roomId')
  @Public()
  async visibility(@Tenant() t: TenantConfig, @Param('roomId') roomId: string) {
    if (!(await this.storage.reader.roomVersion(roomId))) throw Errors.notFound('Room not found');
    const published = await this.storage.db.publishedRoom.findUnique({
      where: { serverName_roomId: { serverName: t.serverName, roomId } },
    });
    return { visibility: published ? 'public' : 'private' };
  }

  @Put('directory/list/room/:roomId')
  async setVisibility(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(visibilityBody, raw);
    if (!(await this.isModerator(roomId, r.userId)))
      throw Errors.forbidden('Only room moderators may publish the room');
    const key = { serverName: t.serverName, roomId };
    if (body.visibility === 'public')
      await this.storage.db.publishedRoom.upsert({ where: { serverName_roomId: key }, create: key, update: {} });
    else await this.storage.db.publishedRoom.deleteMany({ where: key });
    return {};
  }

  @Get('publicRooms')
  @Public()
  async publicRooms(
    @Tenant() t: TenantConfig,
    @Query('limit') limit?: string,
    @Query('since') since?: string,
    @Query('server') server?: string,
  ) {
    return this.directoryOf(t, server, { limit: integerParam('limit', limit, 0), since });
  }

  @Post('publicRooms')
  @HttpCode(200)
  async searchPublicRooms(
    @Auth() _r: Requester,
    @Tenant() t: TenantConfig,
    @Body() raw: unknown,
    @Query('server') server?: string,
  ) {
    const body = validateBody(publicRoomsBody, raw);
    const page = { limit: body.limit, since: body.since, term: body.filter?.generic_search_term };
    if (
      (body.third_party_instance_id !== undefined || body.include_all_networks) &&
      (!server || this.tenants.isLocal(server))
    ) {
      return listPublicRooms(
        this.storage.reader,
        t.serverName,
        page,
        await this.networkRooms(t, body.third_party_instance_id),
      );
    }
    return this.directoryOf(t, server, page);
  }

  /**
   * Rooms of application services' network directories (PUT /directory/list/appservice): of one
   * network, named by the `instance_id` /thirdparty/protocols gives it (`<service id>|<network id>`),
   * or of every network and the main directory (include_all_networks).
   */
  private async networkRooms(t: TenantConfig, instanceId: string | undefined): Promise<string[]> {
    const db = this.storage.db;
    if (instanceId === undefined) {
      const [published, networks] = await Promise.all([
        db.publishedRoom.findMany({ where: { serverName: t.serverName } }),
        db.appserviceDirectoryRoom.findMany({ where: { serverName: t.serverName } }),
      ]);
      return [...new Set([...published, ...networks].map((row) => row.roomId))];
    }
    const separator = instanceId.indexOf('|');
    if (separator === -1) throw Errors.invalidParam('Unknown third_party_instance_id');
    const rows = await db.appserviceDirectoryRoom.findMany({
      where: {
        serverName: t.serverName,
        serviceId: instanceId.slice(0, separator),
        networkId: instanceId.slice(separator + 1),
      },
    });
    return rows.map((row) => row.roomId);
  }

  /** This tenant's directory, or another server's asked over federation (GET or POST /publicRooms there). */
  private async directoryOf(t: TenantConfig, server: string | undefined, page: PublicRoomsPage) {
    if (!server || this.tenants.isLocal(server))
      return listPublicRooms(this.storage.reader, server ?? t.serverName, page);
    if (!isValidServerName(server)) throw Errors.invalidParam(`Invalid server name ${server}`);
    const body = {
      ...(page.limit === undefined ? {} : { limit: page.limit }),
      ...(page.since ? { since: page.since } : {}),
      ...(page.term ? { filter: { generic_search_term: page.term } } : {}),
    };
    return this.federation
      .request(t.serverName, server, 'POST', '/_matrix/federation/v1/publicRooms', body)
      .catch((e: Error) => {
        throw new MatrixError(502, 'M_UNKNOWN', `Could not read the room directory of ${server}: ${e.message}`);
      });
  }

  private requireLocalAlias(alias: string, t: TenantConfig): void {
    if (!isValidRoomAlias(alias)) throw Errors.invalidParam(`Invalid room alias ${alias}`);
    if (!alias.endsWith(`:${t.serverName}`)) throw Errors.invalidParam('Aliases can only be created on this server');
  }

  private async isModerator(roomId: string, userId: string): Promise<boolean> {
    const version = await this.storage.reader.roomVersion(roomId);
    if (!version) return false;
    const state = new Map(
      (await this.storage.reader.currentState(roomId)).map((e) => [`${e.pdu.type}|${e.pdu.state_key}`, e.pdu]),
    );
    const lookup = (type: string, key: string) => state.get(`${type}|${key}`);
    return (
      powerLevelOf(version, userId, lookup) >=
      parsePowerLevels(version, lookup('m.room.power_levels', '')?.content).stateDefault
    );
  }
}
