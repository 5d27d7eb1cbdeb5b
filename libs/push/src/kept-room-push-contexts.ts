import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { RoomPushContextReader, type RoomPushContext } from './room-push-context';

/** Rooms whose context a push process keeps at most, the least recently used leaving first. */
const KEPT = 10_000;

/**
 * Each room's push context (member count, power levels, its members' own rules) kept between the events it
 * evaluates, instead of read for every batch: one message after another in a room reads it once. A kept context
 * is tied to the room's state snapshot it was read at, and serves an event of that same snapshot
 * (OutputRoomEvent.stateSnapshot): every change of the room's state moves the snapshot, so the member count and
 * the power levels are as read, whichever replica evaluated the events between. The members' rules are account
 * data: any announcement of it (output.streams, which every replica hears) forgets every kept context, and a read
 * that an announcement overtook is not kept.
 */
@Injectable()
export class KeptRoomPushContexts implements OnModuleInit {
  private readonly kept = new Map<string, RoomPushContext>();
  /** Account data announcements heard so far: a read is kept only when none came while it ran. */
  private announcements = 0;

  constructor(
    private readonly rooms: RoomPushContextReader,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  onModuleInit(): void {
    this.bus.consume('output.streams', (e) => {
      if (e.stream !== 'accountData') return;
      this.announcements++;
      this.kept.clear();
    });
  }

  /** The room's context for events of state snapshot `snapshot` (undefined: not known, so read). */
  async contextOf(roomId: string, snapshot: string | undefined): Promise<RoomPushContext> {
    const kept = this.kept.get(roomId);
    if (kept && snapshot !== undefined && kept.snapshot === snapshot) {
      this.keep(roomId, kept);
      return kept;
    }
    const announcements = this.announcements;
    const read = await this.rooms.read(roomId);
    if (announcements === this.announcements && read.snapshot !== undefined) this.keep(roomId, read);
    return read;
  }

  private keep(roomId: string, context: RoomPushContext): void {
    this.kept.delete(roomId);
    if (this.kept.size >= KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(roomId, context);
  }
}
