import { Injectable } from '@nestjs/common';
import { SlidingRoomReader, type HeroCandidate } from '../sliding/sliding-room-reader';
import { TickBatch } from '../tick-batch';
import { RecentRoomEvents, roomsWithSummaryChanges } from './recent-room-events';

/** What a room's summary is made of, the same for every member: heroes leave out whoever asks (heroesFor). */
export interface SummaryRead {
  joined: number;
  invited: number;
  /** Candidates for heroes, when the room has no name or canonical alias. */
  heroes?: HeroCandidate[];
}

/** Rooms whose summaries a sync worker keeps at most, the least recently used leaving first. */
const KEPT = 20_000;

/**
 * Each room's summary (member counts, heroes) kept between answers instead of read for every one: under fan-out
 * each message wakes every member, and every answer carries the summary of the room. A kept summary is tied to the
 * events position it is current to, and is used for a later position only when this worker heard every event in
 * between (RecentRoomEvents) and none of them may have changed it (roomsWithSummaryChanges); otherwise it is read
 * again. The completion of a room joined with partial state, which brings the members the room lacked, takes a
 * position of its own that output.room never announces, so a range over it is read again too.
 * The store's summary is current, not of a position, so one kept for a later position serves an earlier one too.
 */
@Injectable()
export class KeptRoomSummaries {
  private readonly kept = new Map<string, { read: SummaryRead; at: bigint }>();
  private readonly reads: TickBatch<string, SummaryRead>;

  constructor(
    rooms: SlidingRoomReader,
    private readonly recent: RecentRoomEvents,
  ) {
    this.reads = new TickBatch(async (asked): Promise<SummaryRead[]> => {
      const roomIds = [...new Set(asked)];
      const [counts, named] = await Promise.all([rooms.memberCounts(roomIds), rooms.namedRooms(roomIds)]);
      const heroes = await rooms.heroCandidates(roomIds.filter((id) => !named.has(id)));
      return asked.map((id) => ({ ...counts.get(id)!, heroes: heroes.get(id) }));
    });
  }

  /** The summaries of `roomIds` as of `upTo` or later, in the order asked. */
  async of(roomIds: string[], upTo: bigint): Promise<SummaryRead[]> {
    // Kept summaries are mostly current to a few positions (those of the answers that read them): what changed
    // since each is worked out once.
    const changedSince = new Map<bigint, Set<string> | undefined>();
    return Promise.all(
      roomIds.map(async (roomId) => {
        const entry = this.kept.get(roomId);
        if (entry && entry.at < upTo) {
          if (!changedSince.has(entry.at)) {
            const heard = this.recent.between(entry.at, upTo);
            changedSince.set(entry.at, heard && roomsWithSummaryChanges(heard));
          }
          const changed = changedSince.get(entry.at);
          if (changed && !changed.has(roomId)) entry.at = upTo;
        }
        if (entry && entry.at >= upTo) {
          this.keep(roomId, entry);
          return entry.read;
        }
        const read = await this.reads.read(roomId);
        this.keep(roomId, { read, at: upTo });
        return read;
      }),
    );
  }

  private keep(roomId: string, entry: { read: SummaryRead; at: bigint }): void {
    this.kept.delete(roomId);
    if (this.kept.size >= KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(roomId, entry);
  }
}
