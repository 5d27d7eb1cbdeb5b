import { Inject, Injectable } from '@nestjs/common';
import { SYNC_ROOM_READS, type SyncRoomReads } from '@lattice/rooms';
import { TickBatch } from '../tick-batch';
import { RecentRoomEvents, usersWithMembershipChanges } from './recent-room-events';

/** One of a user's rooms, as /sync sees it. */
export interface UserRoom {
  roomId: string;
  membership: string;
  /** Position of the user's membership event. */
  streamPos: bigint;
}

/** Every membership a /sync answer looks at. */
const ALL_MEMBERSHIPS = ['join', 'invite', 'knock', 'leave', 'ban'];
/** Users whose rooms a sync worker keeps at most, the least recently used leaving first. */
const KEPT = 50_000;

/**
 * Each user's rooms, of every membership, kept between their incremental answers instead of read for every one.
 * A kept list is tied to the events position it is current to, and is used for a later position only when this
 * worker heard every event in between (RecentRoomEvents) and none of them moved the user's membership: a membership
 * is an event of its room, and so is another server's invite or knock (announced at an events position of its own).
 * Otherwise it is read again: so too across the completion of a room joined with partial state, which gives its
 * local members' memberships a position of its own, announced on output.roomStateCompleted and not on output.room,
 * so a range over it was never heard. The store's list is current, not of a position, so one kept for a later position
 * serves an earlier one too. An initial sync always reads it: a room purged after everyone left has no events to say
 * so, and only an initial sync lists rooms left long ago.
 */
@Injectable()
export class KeptUserRooms {
  private readonly kept = new Map<string, { rooms: UserRoom[]; at: bigint }>();
  private readonly reads: TickBatch<string, UserRoom[]>;

  constructor(
    @Inject(SYNC_ROOM_READS) reader: SyncRoomReads,
    private readonly recent: RecentRoomEvents,
  ) {
    this.reads = new TickBatch(async (userIds) => {
      const read = await reader.roomsOfUsers(userIds, ALL_MEMBERSHIPS);
      return userIds.map((id) => read.get(id)!);
    });
  }

  /** The user's rooms as of `upTo` or later, ordered by room ID; `initial`: for an initial sync. */
  async roomsOf(userId: string, upTo: bigint, initial: boolean): Promise<UserRoom[]> {
    const entry = initial ? undefined : this.kept.get(userId);
    if (entry && entry.at < upTo) {
      const heard = this.recent.between(entry.at, upTo);
      if (heard && !usersWithMembershipChanges(heard).has(userId)) entry.at = upTo;
    }
    if (entry && entry.at >= upTo) {
      this.keep(userId, entry);
      return entry.rooms;
    }
    const rooms = await this.reads.read(userId);
    this.keep(userId, { rooms, at: upTo });
    return rooms;
  }

  private keep(userId: string, entry: { rooms: UserRoom[]; at: bigint }): void {
    this.kept.delete(userId);
    if (this.kept.size >= KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(userId, entry);
  }
}
