import { Inject, Injectable } from '@nestjs/common';
import type { DeviceKeyCounts } from '@lattice/accounts';
import { PRISMA, roomsWithNewNotifications, UnreadCounts, type PrismaClient, type UnreadCount } from '@lattice/storage';
import { DeviceListReader, type MembershipChange } from '@lattice/streams';
import { KeptKeyCounts } from './streams/kept-key-counts';
import { KeptRoomSummaries } from './streams/kept-room-summaries';
import { KeptUserRooms, type UserRoom } from './streams/kept-user-rooms';
import { TickBatch } from './tick-batch';
import { heroesFor, type Hero } from './sliding/sliding-room-reader';

export interface RoomSummary {
  joined: number;
  invited: number;
  /** Heroes for this user, when the room has no name or canonical alias. */
  heroes?: Hero[];
}

/**
 * The per-user reads of a /sync answer, each batched over the answers being
 * built in the same turn (TickBatch): the long-polls one event wakes read
 * their unread counts, key counts and membership moves in one statement
 * each rather than one each. Their rooms and the rooms' summaries are kept
 * between answers (KeptUserRooms, KeptRoomSummaries). Every read is the
 * user's own, with the user's own filters, as if read alone.
 */
@Injectable()
export class AnswerReads {
  private readonly newNotifications: TickBatch<{ userId: string; after: bigint; upTo: bigint }, Set<string>>;
  private readonly unread: TickBatch<{ userId: string; roomIds: string[] }, UnreadCount[]>;
  private readonly keys: TickBatch<{ userId: string; deviceId: string }, DeviceKeyCounts>;
  private readonly moves: TickBatch<{ viewer: string; after: bigint; upTo: bigint }, MembershipChange[]>;

  constructor(
    @Inject(PRISMA) db: PrismaClient,
    private readonly userRooms: KeptUserRooms,
    private readonly summaries: KeptRoomSummaries,
    keyCounts: KeptKeyCounts,
    deviceLists: DeviceListReader,
    unreadCounts: UnreadCounts,
  ) {
    this.newNotifications = new TickBatch((ranges) => roomsWithNewNotifications(db, ranges));
    this.unread = new TickBatch(async (asks) => {
      const counts = await unreadCounts.ofRooms(
        asks.flatMap(({ userId, roomIds }) => roomIds.map((roomId) => ({ userId, roomId }))),
      );
      return asks.map(({ userId, roomIds }) => {
        const asked = new Set(roomIds);
        return counts.filter((c) => c.userId === userId && asked.has(c.roomId));
      });
    });
    this.keys = new TickBatch((devices) => keyCounts.countsOf(devices));
    this.moves = new TickBatch((ranges) => deviceLists.membershipChangesOf(ranges));
  }

  /**
   * The user's rooms of every membership (local and of other servers' invites and knocks) as of `upTo` or later,
   * ordered by room ID; `initial`: for an initial sync.
   */
  roomsOfUser(userId: string, upTo: bigint, initial: boolean): Promise<UserRoom[]> {
    return this.userRooms.roomsOf(userId, upTo, initial);
  }

  /** Rooms where notification rows for the user were written in (after, upTo] of the notifications stream. */
  roomsWithNewNotifications(userId: string, after: bigint, upTo: bigint): Promise<Set<string>> {
    return upTo > after ? this.newNotifications.read({ userId, after, upTo }) : Promise.resolve(new Set());
  }

  unreadCounts(userId: string, roomIds: string[]): Promise<UnreadCount[]> {
    return this.unread.read({ userId, roomIds });
  }

  /** Member counts of rooms as of `upTo` or later, and heroes for this user of those without a name or alias. */
  async roomSummaries(userId: string, roomIds: string[], upTo: bigint): Promise<Map<string, RoomSummary>> {
    const read = await this.summaries.of(roomIds, upTo);
    return new Map(
      read.map(({ joined, invited, heroes }, i) => [
        roomIds[i],
        { joined, invited, ...(heroes ? { heroes: heroesFor(heroes, userId) } : {}) },
      ]),
    );
  }

  deviceKeyCounts(userId: string, deviceId: string): Promise<DeviceKeyCounts> {
    return this.keys.read({ userId, deviceId });
  }

  /** Membership events in (after, upTo] of every room the viewer is or was in. */
  membershipChanges(viewer: string, after: bigint, upTo: bigint): Promise<MembershipChange[]> {
    return upTo > after ? this.moves.read({ viewer, after, upTo }) : Promise.resolve([]);
  }
}
