import { Inject, Injectable, Logger } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { copyRoomRules } from '@lattice/push-rules';
import { AccountDataStore } from '@lattice/streams';
import { PushRulesStore } from '../push/push-rules-store';
import { StorageAccess } from '../storage-access';

/**
 * What a user set for a room follows them to its replacement when they join
 * it (or upgrade it): the room's push rules, its tags and its place in
 * m.direct. The spec leaves this to servers (client-server-api "Room
 * Upgrades"); Synapse does the same, so a user's settings survive an upgrade
 * on either server.
 */
@Injectable()
export class UpgradeCarryOver {
  private readonly logger = new Logger(UpgradeCarryOver.name);

  constructor(
    private readonly storage: StorageAccess,
    private readonly accountData: AccountDataStore,
    private readonly pushRules: PushRulesStore,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /**
   * Copies the user's settings of the room `roomId` replaced, if it replaced one. What brought the user
   * there (a join, an upgrade, a room created as a replacement) is done by then and stands: a failure
   * here is logged, not answered (a client would retry, and make a second room).
   */
  async carryOver(userId: string, roomId: string): Promise<void> {
    await this.copySettings(userId, roomId).catch((error: unknown) =>
      this.logger.warn(`Settings of ${userId} not carried over to ${roomId}: ${String(error)}`),
    );
  }

  private async copySettings(userId: string, roomId: string): Promise<void> {
    const create = await this.storage.reader.stateEvent(roomId, 'm.room.create', '');
    const predecessor = (create?.pdu.content.predecessor as { room_id?: unknown } | undefined)?.room_id;
    if (typeof predecessor !== 'string') return;
    await this.pushRules.edit(userId, (rules) => copyRoomRules(rules, predecessor, roomId));
    const tags = await this.accountData.get(userId, predecessor, 'm.tag');
    if (tags && !(await this.accountData.get(userId, roomId, 'm.tag'))) await this.write(userId, roomId, 'm.tag', tags);
    const direct = await this.accountData.get(userId, '', 'm.direct');
    if (direct) {
      const moved = withReplacement(direct, predecessor, roomId);
      if (moved) await this.write(userId, '', 'm.direct', moved);
    }
  }

  private async write(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<void> {
    const position = await this.accountData.put(userId, roomId, type, content);
    await this.bus.publish('output.streams', {
      stream: 'accountData',
      position: position.toString(),
      userIds: [userId],
    });
  }
}

/** m.direct with the new room beside the old one under every user that lists it; undefined when nothing changes. */
function withReplacement(
  direct: Record<string, unknown>,
  oldRoomId: string,
  newRoomId: string,
): Record<string, unknown> | undefined {
  let changed = false;
  const updated = Object.fromEntries(
    Object.entries(direct).map(([user, rooms]) => {
      if (!Array.isArray(rooms) || !rooms.includes(oldRoomId) || rooms.includes(newRoomId)) return [user, rooms];
      changed = true;
      return [user, [...rooms, newRoomId]];
    }),
  );
  return changed ? updated : undefined;
}
