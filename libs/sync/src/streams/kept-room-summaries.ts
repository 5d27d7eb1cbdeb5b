import { Injectable } from '@nestjs/common';
import { SlidingRoomReader, type HeroCandidate } from '../sliding/sliding-room-reader';
import { TickBatch } from '../tick-batch';
import { HeardKeptValues, type ChangesSince } from './heard-kept-values';
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
 * Each room's summary (member counts, heroes) kept between answers instead of read for every one (HeardKeptValues):
 * under fan-out each message wakes every member, and every answer carries the summary of the room. It is read again
 * once an event heard since may have changed it (roomsWithSummaryChanges). The completion of a room joined with
 * partial state, which brings the members the room lacked, takes a position of its own that output.room never
 * announces, so a range over it is read again too.
 */
@Injectable()
export class KeptRoomSummaries {
  private readonly kept: HeardKeptValues<SummaryRead>;
  private readonly reads: TickBatch<string, SummaryRead>;

  constructor(rooms: SlidingRoomReader, recent: RecentRoomEvents) {
    this.kept = new HeardKeptValues(recent, KEPT, roomsWithSummaryChanges);
    this.reads = new TickBatch(async (asked): Promise<SummaryRead[]> => {
      const roomIds = [...new Set(asked)];
      const [counts, named] = await Promise.all([rooms.memberCounts(roomIds), rooms.namedRooms(roomIds)]);
      const heroes = await rooms.heroCandidates(roomIds.filter((id) => !named.has(id)));
      return asked.map((id) => ({ ...counts.get(id)!, heroes: heroes.get(id) }));
    });
  }

  /** The summaries of `roomIds` as of `upTo` or later, in the order asked. */
  async of(roomIds: string[], upTo: bigint): Promise<SummaryRead[]> {
    // Kept summaries are mostly current to a few positions (those of the answers that read them).
    const changesSince: ChangesSince = new Map();
    return Promise.all(
      roomIds.map(async (roomId) => {
        const kept = this.kept.get(roomId, upTo, changesSince);
        if (kept) return kept;
        const read = await this.reads.read(roomId);
        this.kept.set(roomId, read, upTo);
        return read;
      }),
    );
  }
}
