import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, Public, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import { RoomInputClient } from '../rooms/room-input-client';
import { avatarUrlBody, displayNameBody } from '../rooms/room-schemas';
import { StorageAccess } from '../storage-access';

type Field = 'displayname' | 'avatar_url';

/** Profiles (client-server-api "Profiles"): changing one updates the member event in every joined room. */
@Controller('_matrix/client/v3/profile/:userId')
export class ProfileController {
  constructor(
    private readonly accounts: AccountStore,
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
  ) {}

  @Get()
  @Public()
  async profile(@Param('userId') userId: string) {
    const profile = await this.accounts.getProfile(userId);
    if (!profile) throw Errors.notFound('Profile not found');
    return profile;
  }

  @Get(':field')
  @Public()
  async field(@Param('userId') userId: string, @Param('field') field: string) {
    const profile = await this.profile(userId);
    if (field !== 'displayname' && field !== 'avatar_url') throw Errors.notFound(`Unknown profile field ${field}`);
    const value = profile[field];
    if (value === undefined) throw Errors.notFound(`${field} is not set`);
    return { [field]: value };
  }

  @Put('displayname')
  @RateLimited()
  async setDisplayName(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    return this.set(r, t, userId, 'displayname', validateBody(displayNameBody, raw).displayname);
  }

  @Put('avatar_url')
  @RateLimited()
  async setAvatarUrl(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    return this.set(r, t, userId, 'avatar_url', validateBody(avatarUrlBody, raw).avatar_url);
  }

  private async set(r: Requester, t: TenantConfig, userId: string, field: Field, value: string) {
    if (userId !== r.userId) throw Errors.forbidden("You cannot change another user's profile");
    await this.accounts.setProfileField(userId, field, value === '' ? null : value);
    const profile = (await this.accounts.getProfile(userId)) ?? {};
    for (const { roomId } of await this.storage.reader.roomsOfUser(userId, ['join'])) {
      const current = await this.storage.reader.stateEvent(roomId, 'm.room.member', userId);
      const { displayname: _oldName, avatar_url: _oldAvatar, ...content } = current?.pdu.content ?? {};
      await this.rooms.submit({
        kind: 'send', serverName: t.serverName, sender: userId, roomId, type: 'm.room.member', stateKey: userId, content: { ...content, membership: 'join', ...profile },
      });
    }
    return {};
  }
}
