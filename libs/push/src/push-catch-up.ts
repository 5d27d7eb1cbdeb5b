import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommittedRoomEvents } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { NotificationRecorder } from './notification-recorder';

/** Committed events read per query. */
const BATCH = 200;

/**
 * How far before the last evaluated position a start looks again. Rooms commit in parallel, so an
 * event can commit (and be handed over) after one with a higher position; re-reading this many
 * positions finds it. Events already evaluated are skipped by their room's position, and evaluating
 * one again would write and push nothing twice anyway.
 */
const OVERLAP = 1_000n;

/**
 * Single process only: its bus hands events over in memory, so an event committed (and acknowledged to
 * its sender) just before the process died was never evaluated. A start evaluates, before consuming,
 * every committed event after its room's evaluated position. Services mode has JetStream's durable
 * consumer instead.
 */
@Injectable()
export class PushCatchUp {
  private readonly logger = new Logger(PushCatchUp.name);

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly committed: CommittedRoomEvents,
    private readonly recorder: NotificationRecorder,
  ) {}

  /** Returns whether any push was queued. */
  async run(): Promise<boolean> {
    const [last] = await this.db.$queryRawUnsafe<Array<{ pos: bigint | null }>>(
      `SELECT max(stream_pos) AS pos FROM push_room_progress`,
    );
    let after = (last?.pos ?? 0n) > OVERLAP ? last!.pos! - OVERLAP : 0n;
    let evaluated = 0;
    let queued = false;
    for (;;) {
      const events = await this.committed.after(after, BATCH);
      if (events.length === 0) break;
      const progress = await this.progressOf([...new Set(events.map((e) => e.roomId))]);
      const unevaluated = events.filter((e) => BigInt(e.streamPos) > (progress.get(e.roomId) ?? 0n));
      queued = (await this.recorder.recordAll(unevaluated)) || queued;
      evaluated += unevaluated.length;
      if (events.length < BATCH) break;
      after = BigInt(events[events.length - 1].streamPos);
    }
    if (evaluated > 0) this.logger.log(`Evaluated ${evaluated} room events committed before the last stop`);
    return queued;
  }

  private async progressOf(roomIds: string[]): Promise<Map<string, bigint>> {
    const rows = await this.db.pushRoomProgress.findMany({ where: { roomId: { in: roomIds } } });
    return new Map(rows.map((r) => [r.roomId, r.streamPos]));
  }
}
