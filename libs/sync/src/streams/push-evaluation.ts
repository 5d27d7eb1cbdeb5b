import { Inject, Injectable, Logger } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** The longest a response waits for the push service (it is down, or far behind): then counts come one sync late. */
const MAX_WAIT_MS = 2_000;
const FIRST_POLL_MS = 5;
/**
 * Events older than this are not waited for: one the push service has not reached by then never will be
 * (committed while push was disabled, or before a single process's start looked back that far).
 */
const RECENT_MS = 60_000;

/**
 * The push service evaluates events off the send path, so /sync can see an
 * event before its notification rows exist. A response that carries events
 * of other senders waits until their rooms are evaluated up to them
 * (`push_room_progress`), so the unread counts it carries count them
 * (client-server-api "Receiving notifications"): the badge and the message
 * arrive together.
 */
@Injectable()
export class PushEvaluation {
  private readonly logger = new Logger(PushEvaluation.name);
  private readonly enabled: boolean;

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
  ) {
    this.enabled = config.push.enabled;
  }

  /** Resolves once every one of these events is evaluated, after MAX_WAIT_MS, or when `signal` aborts. */
  async settled(eventIds: string[], signal?: AbortSignal): Promise<void> {
    if (!this.enabled || eventIds.length === 0) return;
    const deadline = Date.now() + MAX_WAIT_MS;
    for (let pause = FIRST_POLL_MS; await this.pending(eventIds); pause *= 2) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) {
        this.logger.debug(
          `Push evaluation has not reached ${eventIds.length} events after ${MAX_WAIT_MS} ms: their unread counts come with a later sync`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  private async pending(eventIds: string[]): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM events e JOIN rooms r ON r.room_nid = e.room_nid LEFT JOIN push_room_progress p ON p.room_id = r.room_id
        WHERE e.event_id = ANY($1::text[]) AND e.stream_pos > COALESCE(p.stream_pos, 0) AND e.origin_server_ts > $2 LIMIT 1`,
      eventIds,
      BigInt(Date.now() - RECENT_MS),
    );
    return rows.length > 0;
  }
}
