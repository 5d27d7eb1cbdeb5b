import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { formatPaginationToken } from '@lattice/streams';
import { SyncService } from '../sync-service';

/** MSC4360's default, and this server's most, threads per answer and per page. */
export const MAX_THREADS = 100;
/** Threads the extension reads at once: more than it sends, since without include_roots some are left out. */
const READ_AT_ONCE = MAX_THREADS * 10;

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

/** Who reads thread updates: they see replies sent since they joined, from users they do not ignore. */
export interface ThreadReader {
  userId: string;
  deviceId: string;
  ignored: ReadonlySet<string>;
}

/**
 * Thread updates (MSC4360): the threads of the user's joined rooms that had
 * replies in a range of positions, the latest first, each once however many
 * replies it had. A thread with more than one reply gets a `prev_batch` for
 * /relations (dir=b) to read the others.
 *
 * The sliding sync extension reports the range since the connection's last
 * answer. Without `include_roots`, a thread whose replies this answer's
 * timelines already carry is left out; with it, every thread comes with its
 * root and the root's bundled m.thread aggregation. When more threads were
 * updated than the answer carries, the section's `prev_batch` is where the
 * companion endpoint /thread_updates (`page`) continues backwards, down to
 * the position of the request's `pos` (its `to`).
 *
 * Only replies sent since the user's current join are read: those the user
 * may see whatever the room's history visibility.
 */
@Injectable()
export class ThreadUpdates {
  constructor(
    private readonly sync: SyncService,
    @Inject(PRISMA) private readonly db: PrismaClient,
  ) {}

  async build(
    viewer: ThreadReader,
    config: ThreadsConfig,
    after: bigint,
    upTo: bigint,
    sentEvents: ReadonlySet<string>,
  ): Promise<JsonObject | undefined> {
    const limit = Math.min(config.limit ?? MAX_THREADS, MAX_THREADS);
    const found = await this.updatesBetween(viewer, after, upTo, undefined, READ_AT_ONCE);
    const updates = found.filter((u) => config.include_roots || !u.events.every((id) => sentEvents.has(id)));
    if (updates.length === 0) return undefined;
    const shown = updates.slice(0, limit);
    const section: JsonObject = { updates: await this.byRoom(viewer, shown, config.include_roots ?? false) };
    if (updates.length > limit || found.length === READ_AT_ONCE)
      section.prev_batch = formatPaginationToken(shown[shown.length - 1].latest);
    return section;
  }

  /**
   * A page of /thread_updates: the threads updated in (after, now] whose
   * latest reply is before `before` (the `from` token; the latest when
   * absent), each with its root (MSC4360 "Companion endpoint"), and
   * `next_batch` when there are more.
   */
  async page(viewer: ThreadReader, after: bigint, before: bigint | undefined, limit: number): Promise<JsonObject> {
    const current = await this.sync.reader.maxStreamPos();
    const found = await this.updatesBetween(viewer, after, current, before, limit + 1);
    const shown = found.slice(0, limit);
    return {
      chunk: await this.byRoom(viewer, shown, true),
      ...(found.length > limit ? { next_batch: formatPaginationToken(shown[shown.length - 1].latest) } : {}),
    };
  }

  private async byRoom(viewer: ThreadReader, updates: Update[], withRoots: boolean): Promise<JsonObject> {
    const byRoom: Record<string, Record<string, JsonObject>> = {};
    for (const update of updates) {
      const thread: JsonObject = update.events.length > 1 ? { prev_batch: formatPaginationToken(update.latest) } : {};
      if (withRoots) {
        const root = await this.visibleRoot(viewer, update.root);
        if (root) thread.thread_root = root;
      }
      (byRoom[update.room_id] ??= {})[update.root] = thread;
    }
    return byRoom;
  }

  /**
   * Threads with replies in (after, upTo] in rooms the user is joined to, sent since they joined, by anyone
   * they do not ignore, whose latest such reply is before `before`: a thread an earlier page carried has a
   * later reply, so it is not in a later page.
   */
  private async updatesBetween(
    viewer: ThreadReader,
    after: bigint,
    upTo: bigint,
    before: bigint | undefined,
    limit: number,
  ): Promise<Update[]> {
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
       HAVING $5::bigint IS NULL OR max(er.stream_pos) < $5::bigint
        ORDER BY latest DESC
        LIMIT ${limit}`,
      viewer.userId,
      after,
      upTo,
      [...viewer.ignored],
      before ?? null,
    );
  }

  private async visibleRoot(viewer: ThreadReader, rootId: string): Promise<JsonObject | undefined> {
    const root = await this.sync.reader.event(rootId);
    if (!root) return undefined;
    const [visible] = await this.sync.visibility.visibleToUser(viewer.userId, [root]);
    return visible ? (await this.sync.bundles.clientEvents(viewer, [visible]))[0] : undefined;
  }
}
