import { Inject, Injectable } from '@nestjs/common';
import { SYNC_ROOM_READS, type SyncRoomReads } from '@lattice/rooms';
import { TickBatch } from '../tick-batch';
import { HeardKeptValues } from './heard-kept-values';
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
 * Each user's rooms, of every membership, kept between their incremental answers instead of read for every one
 * (HeardKeptValues): read again once an event heard since moved the user's membership. Another server's invite or
 * knock is announced on output.room at a position of its own, so it counts. A room joined with partial state gives
 * its local members' memberships a position of its own when it completes, announced on output.roomStateCompleted
 * and not on output.room, so a range over it was never heard and the list is read again. An initial sync always
 * reads it: a room purged after everyone left has no event to say so, and only an initial sync lists rooms left
 * long ago.
 */
@Injectable()
export class KeptUserRooms {
  private readonly kept: HeardKeptValues<UserRoom[]>;
  private readonly reads: TickBatch<string, UserRoom[]>;

  constructor(@Inject(SYNC_ROOM_READS) reader: SyncRoomReads, recent: RecentRoomEvents) {
    this.kept = new HeardKeptValues(recent, KEPT, usersWithMembershipChanges);
    this.reads = new TickBatch(async (userIds) => {
      const read = await reader.roomsOfUsers(userIds, ALL_MEMBERSHIPS);
      return userIds.map((id) => read.get(id)!);
    });
  }

  /** The user's rooms as of `upTo` or later, ordered by room ID; `initial`: for an initial sync. */
  async roomsOf(userId: string, upTo: bigint, initial: boolean): Promise<UserRoom[]> {
    const kept = initial ? undefined : this.kept.get(userId, upTo);
    if (kept) return kept;
    const rooms = await this.reads.read(userId);
    this.kept.set(userId, rooms, upTo);
    return rooms;
  }
}
