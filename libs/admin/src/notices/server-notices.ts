import { Inject, Injectable } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { Errors } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { CLIENT_ROOM_READS, RoomInputClient, type ClientRoomReads } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { AccountDataStore } from '@lattice/streams';

/**
 * Server notices (client-server-api "Server Notices"): one room per user,
 * made by the tenant's notices user (config admin.serverNoticesLocalpart) at
 * the first notice, the user invited rather than joined, and the room tagged
 * m.server_notice in the user's account data so clients know it. A user who
 * left is invited back into the same room at the next notice, as Synapse
 * does; a new room is made only when the old one is gone or the user is banned from it.
 */
@Injectable()
export class ServerNotices {
  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    private readonly accounts: AccountStore,
    private readonly rooms: RoomInputClient,
    private readonly accountData: AccountDataStore,
    @Inject(CLIENT_ROOM_READS) private readonly reader: ClientRoomReads,
  ) {}

  /** `txn`: the admin's transaction (PUT with a transaction ID): the same one again answers the same event. */
  async send(
    serverName: string,
    userId: string,
    notice: { type: string; stateKey?: string; content: JsonObject },
    txn?: { deviceId: string; txnId: string },
  ): Promise<string> {
    const user = await this.db.user.findUnique({ where: { userId }, select: { deactivated: true } });
    if (!user) throw Errors.notFound('User not found');
    if (user.deactivated) throw Errors.invalidParam('The user is deactivated');
    const sender = await this.noticesUser(serverName);
    if (userId === sender) throw Errors.invalidParam('The server notices user cannot be sent notices');
    const roomId = await this.roomFor(serverName, sender, userId);
    const { eventId } = await this.rooms.submit({
      kind: 'send',
      serverName,
      sender,
      roomId,
      type: notice.type,
      ...(notice.stateKey === undefined ? {} : { stateKey: notice.stateKey }),
      content: notice.content,
      ...(txn ? { txn } : {}),
    });
    return eventId!;
  }

  private async noticesUser(serverName: string): Promise<string> {
    const localpart = this.config.admin.serverNoticesLocalpart;
    const userId = `@${localpart}:${serverName}`;
    if (await this.accounts.isLocalpartAvailable(serverName, localpart)) {
      await this.accounts.createUser(serverName, localpart, undefined).catch((e: { errcode?: string }) => {
        // Two notices at once both found the user missing; one made it.
        if (e.errcode !== 'M_USER_IN_USE') throw e;
      });
      await this.accounts.setProfileField(userId, 'displayname', 'Server Notices');
    }
    return userId;
  }

  private async roomFor(serverName: string, sender: string, userId: string): Promise<string> {
    const existing = await this.db.serverNoticeRoom.findUnique({ where: { userId } });
    if (existing) {
      const membership = await this.reader.membership(existing.roomId, userId);
      if (membership === 'join' || membership === 'invite') return existing.roomId;
      if (membership === 'leave') {
        await this.rooms.submit({
          kind: 'membership',
          serverName,
          sender,
          roomId: existing.roomId,
          action: 'invite',
          target: userId,
        });
        return existing.roomId;
      }
    }
    const { roomId } = await this.rooms.submit({
      kind: 'createRoom',
      serverName,
      sender,
      request: {
        preset: 'private_chat',
        name: 'Server Notices',
        invite: [userId],
        is_direct: false,
        power_level_content_override: { events_default: 100 },
      } as JsonObject,
    });
    await this.db.serverNoticeRoom.upsert({ where: { userId }, create: { userId, roomId }, update: { roomId } });
    const position = await this.accountData.put(userId, roomId, 'm.tag', {
      tags: { 'm.server_notice': { order: 0.5 } },
    });
    await this.bus.publish('output.streams', {
      stream: 'accountData',
      position: position.toString(),
      userIds: [userId],
    });
    return roomId;
  }
}
