import { Injectable } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Errors } from '@lattice/http';
import { findRoomVersion, type JsonObject } from '@lattice/protocol';
import { RoomInputClient } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';
import { mayUpgrade, planUpgrade } from './plan-upgrade';
import { UpgradeCarryOver } from './upgrade-carry-over';

/**
 * POST /rooms/{roomId}/upgrade (client-server-api "Room Upgrades", server
 * behaviour): the replacement room (planUpgrade), the tenant's local aliases
 * and its room directory entry moved to it, the tombstone in the old room,
 * and the old room's power levels restricted. Members follow by joining the
 * replacement room the tombstone names; their push rules, tags and m.direct
 * entries of the old room follow them (UpgradeCarryOver).
 */
@Injectable()
export class RoomUpgrader {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly carryOver: UpgradeCarryOver,
  ) {}

  async upgrade(
    upgrader: string,
    tenant: TenantConfig,
    oldRoomId: string,
    newVersionId: string,
    additionalCreators?: string[],
  ): Promise<string> {
    const newVersion = findRoomVersion(newVersionId);
    if (!newVersion) throw Errors.unsupportedRoomVersion(`Room version ${newVersionId} is not supported`);
    const oldVersion = await this.storage.reader.roomVersion(oldRoomId);
    const state = oldVersion ? (await this.storage.reader.currentState(oldRoomId)).map((e) => e.pdu) : [];
    if (!oldVersion || !mayUpgrade(oldVersion, upgrader, state)) throw Errors.forbidden('You cannot upgrade this room');
    const [last] = await this.storage.reader.timeline(oldRoomId, { limit: 1, backwards: true });
    const plan = planUpgrade({
      oldRoomId,
      oldVersion,
      newVersion,
      upgrader,
      state,
      lastEventId: last?.eventId,
      additionalCreators,
    });

    const send = (roomId: string, type: string, content: JsonObject) =>
      this.rooms.submit({
        kind: 'send',
        serverName: tenant.serverName,
        sender: upgrader,
        roomId,
        type,
        stateKey: '',
        content,
      });
    const { roomId: newRoomId } = await this.rooms.submit({
      kind: 'createRoom',
      serverName: tenant.serverName,
      sender: upgrader,
      request: plan.createRoom,
    });
    if (plan.finalPowerLevels) await send(newRoomId, 'm.room.power_levels', plan.finalPowerLevels);
    await this.moveDirectoryEntries(tenant.serverName, oldRoomId, newRoomId);
    const canonicalAlias = state.find((e) => e.type === 'm.room.canonical_alias' && e.state_key === '');
    if (canonicalAlias && Object.keys(canonicalAlias.content).length > 0) {
      await send(newRoomId, 'm.room.canonical_alias', canonicalAlias.content);
      // The aliases point at the new room now; the old room must not advertise them.
      await send(oldRoomId, 'm.room.canonical_alias', {});
    }
    await send(oldRoomId, 'm.room.tombstone', { body: 'This room has been replaced', replacement_room: newRoomId });
    if (plan.restrictedOldPowerLevels) await send(oldRoomId, 'm.room.power_levels', plan.restrictedOldPowerLevels);
    // The upgrader is in the new room already, without joining it: its settings follow here.
    await this.carryOver.carryOver(upgrader, newRoomId);
    return newRoomId;
  }

  /** Server behaviour 4: the tenant's aliases of the old room, and its place in the tenant's room directory, go to the new room. */
  private async moveDirectoryEntries(serverName: string, oldRoomId: string, newRoomId: string): Promise<void> {
    const prisma = this.storage.db;
    await prisma.$transaction([
      prisma.roomAlias.updateMany({ where: { roomId: oldRoomId, serverName }, data: { roomId: newRoomId } }),
      prisma.$executeRaw`INSERT INTO published_rooms (server_name, room_id) SELECT server_name, ${newRoomId} FROM published_rooms WHERE server_name = ${serverName} AND room_id = ${oldRoomId} ON CONFLICT DO NOTHING`,
      prisma.publishedRoom.deleteMany({ where: { serverName, roomId: oldRoomId } }),
    ]);
  }
}
