import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { formatPaginationToken } from '@lattice/streams';
import { SyncService } from '../sync-service';

/** MSC4360's default, and this server's most, threads per answer. */
const MAX_THREADS = 100;

export interface ThreadsConfig {
  include_roots?: boolean;
  limit?: number;
}

interface Update {
  room_id: string;
  root: string;
  latest: bigint;
  events: string[];
}

/**
 * The threads extension of sliding sync (MSC4360): the threads of the user's
 * joined rooms that had replies since the connection's last answer, the
 * latest first, each once however many replies it had. A thread with more
 * than one reply gets a `prev_batch` for /relations (dir=b) to read the
 * others. Without `include_roots`, a thread whose replies this answer's
 * timelines already carry is left out; with it, every thread comes with its
 * root and the root's bundled m.thread aggregation.
 *
 * Only replies sent since the user's current join are read: those the user
 * may see whatever the room's history visibility. MSC4360's companion
 * endpoint /thread_updates is not offered, so neither is the list's
 * `prev_batch`: an answer with more updated threads than its limit carries
 * the latest ones.
 */
@Injectable()
export class ThreadUpdates {
  constructor(
    private readonly sync: SyncService,
    @Inject(PRISMA) private readonly db: PrismaClient,
  ) {}

  async build(
    viewer: { userId: string; deviceId: string; ignored: ReadonlySet<string> },
    config: ThreadsConfig,
    after: bigint,
    upTo: bigint,
    sentEvents: ReadonlySet<string>,
  ): Promise<JsonObject | undefined> {
    const limit = Math.min(config.limit ?? MAX_THREADS, MAX_THREADS);
    const updates = (await this.updatesBetween(viewer.userId, [...viewer.ignored], after, upTo)).filter(
      (u) => config.include_roots || !u.events.every((id) => sentEvents.has(id)),
    );
    if (updates.length === 0) return undefined;
    const byRoom: Record<string, Record<string, JsonObject>> = {};
    for (const update of updates.slice(0, limit)) {
      const thread: JsonObject = update.events.length > 1 ? { prev_batch: formatPaginationToken(update.latest) } : {};
      if (config.include_roots) {
        const root = await this.visibleRoot(viewer, update.root);
        if (root) thread.thread_root = root;
      }
      (byRoom[update.room_id] ??= {})[update.root] = thread;
    }
    return { updates: byRoom };
  }

  /** Threads with replies in (after, upTo] in rooms the user is joined to, sent since they joined, by anyone they do not ignore. */
  private async updatesBetween(userId: string, ignored: string[], after: bigint, upTo: bigint): Promise<Update[]> {
    if (upTo <= after) return [];
    return this.db.$queryRawUnsafe<Update[]>(
      `SELECT r.room_id, er.parent_event_id AS root, max(er.stream_pos) AS latest, array_agg(e.event_id) AS events
         FROM event_relations er
         JOIN current_state cs ON cs.room_nid = er.room_nid AND cs.user_id = $1 AND cs.membership = 'join'
         JOIN rooms r ON r.room_nid = er.room_nid
         JOIN events e ON e.event_nid = er.event_nid
        WHERE er.rel_type = 'm.thread' AND er.stream_pos > $2 AND er.stream_pos <= $3 AND er.stream_pos > cs.stream_pos
          AND er.sender <> ALL($4::text[])
        GROUP BY r.room_id, er.parent_event_id
        ORDER BY latest DESC
        LIMIT ${MAX_THREADS * 10}`,
      userId,
      after,
      upTo,
      ignored,
    );
  }

  private async visibleRoot(
    viewer: { userId: string; deviceId: string },
    rootId: string,
  ): Promise<JsonObject | undefined> {
    const root = await this.sync.reader.event(rootId);
    if (!root) return undefined;
    const [visible] = await this.sync.visibility.visibleToUser(viewer.userId, [root]);
    return visible ? (await this.sync.bundles.clientEvents(viewer, [visible]))[0] : undefined;
  }
}
