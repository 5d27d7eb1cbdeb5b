import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient, FederationError } from '@lattice/federation';
import {
  Auth,
  Errors,
  GuestAllowed,
  MatrixError,
  Public,
  RateLimited,
  requireJsonObject,
  requireNotSuspended,
  Requester,
  Tenant,
  validateBody,
} from '@lattice/http';
import { isValidHistoricalUserId, serverNameOf, type JsonObject } from '@lattice/protocol';
import { RoomInputClient } from '@lattice/rooms';
import { avatarUrlBody, displayNameBody } from '../rooms/room-schemas';
import { StorageAccess } from '../storage-access';
import { ProfileFields } from './profile-fields';
import { NamespaceQueries } from '@lattice/appservice-registry';

type Field = 'displayname' | 'avatar_url';

/**
 * Profiles (client-server-api "Profiles"): displayname and avatar_url, whose
 * change updates the member event in every joined room, and the extended
 * fields of v1.16 (m.tz and custom keys, ProfileFields), which stay in the
 * profile.
 */
@Controller('_matrix/client/v3/profile/:userId')
export class ProfileController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
    private readonly fields: ProfileFields,
    private readonly namespaces: NamespaceQueries,
  ) {}

  @Get()
  @Public()
  async profile(@Tenant() t: TenantConfig, @Param('userId') userId: string) {
    // A malformed ID would otherwise fail later, as a federation request to a server that cannot exist.
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam(`Invalid user ID ${userId}`);
    const server = serverNameOf(userId);
    if (server !== undefined && !this.tenants.isLocal(server)) {
      const remote = await this.remoteProfile(t, server, userId);
      if (!remote) throw Errors.notFound('Profile not found');
      return remote;
    }
    return this.localFullProfile(userId);
  }

  /** With the extended fields; a user of an application service's namespace that does not exist yet is asked for first. */
  private async localFullProfile(userId: string): Promise<JsonObject> {
    const profile = await this.namespaces.readUser(userId, () => this.accounts.fullProfile(userId));
    if (!profile) throw Errors.notFound('Profile not found');
    return profile as JsonObject;
  }

  @Get(':field')
  @Public()
  async field(@Tenant() t: TenantConfig, @Param('userId') userId: string, @Param('field') field: string) {
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam(`Invalid user ID ${userId}`);
    const server = serverNameOf(userId);
    // A user of another server: only the field is asked for (server-server-api GET /query/profile `field`).
    const isRemote = server !== undefined && !this.tenants.isLocal(server);
    const profile = isRemote
      ? ((await this.remoteProfile(t, server, userId, field)) ?? {})
      : await this.localFullProfile(userId);
    const value = profile[field];
    if (value === undefined) throw Errors.notFound(`${field} is not set`);
    return { [field]: value };
  }

  @GuestAllowed()
  @Put('displayname')
  @RateLimited()
  async setDisplayName(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('userId') userId: string,
    @Body() raw: unknown,
  ) {
    return this.set(r, t, userId, 'displayname', validateBody(displayNameBody, raw).displayname);
  }

  @Put('avatar_url')
  @RateLimited()
  async setAvatarUrl(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('userId') userId: string,
    @Body() raw: unknown,
  ) {
    return this.set(r, t, userId, 'avatar_url', validateBody(avatarUrlBody, raw).avatar_url);
  }

  @Put(':keyName')
  @RateLimited()
  async setExtended(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('keyName') key: string,
    @Body() raw: unknown,
  ) {
    ProfileFields.check(key);
    if (userId !== r.userId) throw Errors.forbidden("You cannot change another user's profile");
    requireNotSuspended(r);
    const body = requireJsonObject<JsonObject>(raw);
    if (!(key in body)) throw Errors.missingParam(`Missing field: ${key}`);
    await this.fields.set(userId, key, body[key], (await this.accounts.getProfile(userId)) ?? {});
    return {};
  }

  /** DELETE /profile/{userId}/{keyName} (v1.16): removing displayname or avatar_url updates the member events as setting them does. */
  @Delete(':keyName')
  @RateLimited()
  async remove(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('userId') userId: string,
    @Param('keyName') key: string,
  ) {
    if (key === 'displayname' || key === 'avatar_url') return this.set(r, t, userId, key, '');
    ProfileFields.check(key);
    if (userId !== r.userId) throw Errors.forbidden("You cannot change another user's profile");
    requireNotSuspended(r);
    await this.fields.set(userId, key, undefined, (await this.accounts.getProfile(userId)) ?? {});
    return {};
  }

  /** A user of another server: asked over federation (server-server-api "Querying for information"). */
  private async remoteProfile(
    t: TenantConfig,
    server: string,
    userId: string,
    field?: string,
  ): Promise<JsonObject | undefined> {
    try {
      const query = `user_id=${encodeURIComponent(userId)}${field === undefined ? '' : `&field=${encodeURIComponent(field)}`}`;
      const answer = await this.federation.request<JsonObject>(
        t.serverName,
        server,
        'GET',
        `/_matrix/federation/v1/query/profile?${query}`,
      );
      // Extended fields pass through as the other server gave them; the two the spec types must have their types.
      const { displayname, avatar_url, ...extended } = answer;
      return {
        ...extended,
        ...(typeof displayname === 'string' ? { displayname } : {}),
        ...(typeof avatar_url === 'string' ? { avatar_url } : {}),
      };
    } catch (e) {
      if (e instanceof FederationError && e.status === 404) return undefined;
      if (e instanceof FederationError && e.status === 403)
        throw Errors.forbidden(`${server} does not share this profile`);
      throw new MatrixError(502, 'M_UNKNOWN', `Could not reach ${server}: ${(e as Error).message}`);
    }
  }

  private async set(r: Requester, t: TenantConfig, userId: string, field: Field, value: string) {
    if (userId !== r.userId) throw Errors.forbidden("You cannot change another user's profile");
    requireNotSuspended(r);
    await this.accounts.setProfileField(userId, field, value === '' ? null : value);
    const profile = (await this.accounts.getProfile(userId)) ?? {};
    for (const { roomId } of await this.storage.reader.roomsOfUser(userId, ['join'])) {
      const current = await this.storage.reader.stateEvent(roomId, 'm.room.member', userId);
      const { displayname: _oldName, avatar_url: _oldAvatar, ...content } = current?.pdu.content ?? {};
      await this.rooms.submit({
        kind: 'send',
        serverName: t.serverName,
        sender: userId,
        roomId,
        type: 'm.room.member',
        stateKey: userId,
        content: { ...content, membership: 'join', ...profile },
      });
    }
    return {};
  }
}
