import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { PushAction } from '@lattice/push-rules';
import { DATABASE, ForegroundWork, PRISMA, UnreadCounts, type Database, type PrismaClient } from '@lattice/storage';
import { GatewayError, PushGatewayClient } from './push-gateway-client';
import { notificationBody, type PushedEvent, type PusherTarget } from './push-payload';

interface LeasedPusher extends PusherTarget {
  pusherId: bigint;
  userId: string;
  /** When the lease was last taken or renewed (ms). */
  leasedAt: number;
}

interface OutboxRow {
  id: bigint;
  eventId: string;
  roomId: string;
  actions: string;
  attempts: number;
}

/** How often every replica looks for pushes due (retries, and pushers a dead replica held). */
const SWEEP_MS = 1_000;
/**
 * The oldest due pushes a claim picks its pushers among, per pusher claimed (by the outbox's index on
 * next_attempt_ts). Looking for pushers with a push due from the pushers' side walked every pusher already done
 * before the ones left (a message to 10,000 members: 200 claims, each probing the outbox for up to 10,000
 * pushers). Room for the claims of a few replicas side by side; a replica that finds every pusher of the window
 * leased by others leaves them to those, which are delivering them. With nothing due, the once-a-second claim is
 * one probe of that index.
 */
const CLAIM_WINDOW_PER_PUSHER = 4;
/** Pushes of one pusher sent per round at most (they go one after another, in order); the rest wait for the next. */
const ROWS_PER_ROUND = 50;
/**
 * Pushes of a wave started in one go: each slice after a turn of the event loop and the sends under way
 * (ForegroundWork), as starting a wave's 200 requests at once held the event loop for tens of milliseconds.
 */
const WAVE_SLICE = 25;

/**
 * Delivers the push outbox to push gateways. Each pusher is delivered to by
 * one replica at a time: a replica leases a pusher (pushers.lease_owner and
 * lease_until, claimed with SKIP LOCKED so replicas never wait on each
 * other), renews it while it pushes, and gives it back at the end of the
 * round. A replica that dies loses its leases when they
 * expire and another takes its pushers over. Pushes of a pusher go in order;
 * one the gateway failed to take waits (exponential backoff) with those
 * behind it. A row is deleted once the gateway has answered, so a push is
 * sent again only if the replica died while it was in flight (between the
 * request and the delete): at most one push per pusher per replica lost.
 * Nothing can do better against a gateway that does not deduplicate, as
 * nothing tells a restarted replica whether the gateway got that push.
 */
@Injectable()
export class PusherDelivery implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PusherDelivery.name);
  private readonly owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /**
   * Pushers one replica delivers to at once: their claim and their badge counts are a statement each, which sends
   * wait behind on the embedded database (one statement at a time). Badge counts of 200 took ~100 ms there (at a
   * load of 11). Embedded, 16 against 50 under the pushes of a 10,000-member room (push bench, one run each): the
   * probe's added send p99 8.9 against 19.8 ms, for 3,358 pushes/s against 4,139.
   */
  private readonly claimBatch: number;

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(DATABASE) database: Database,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly gateway: PushGatewayClient,
    private readonly foreground: ForegroundWork,
    private readonly unread: UnreadCounts,
  ) {
    this.claimBatch = database.kind === 'embedded' ? 16 : 50;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.wake(), SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.db.pusher.updateMany({
      where: { leaseOwner: this.owner },
      data: { leaseOwner: null, leaseUntil: null },
    });
  }

  /** Pushes were queued (or may be due): deliver now, or right after the round in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((e: Error) => this.logger.warn(`push delivery round failed: ${e.message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      await this.foreground.turn();
      const claimed = await this.claim();
      if (claimed.length === 0) return;
      await this.foreground.turn();
      const badges = await this.unreadCounts([...new Set(claimed.map(({ pusher }) => pusher.userId))]);
      await this.deliverInWaves(claimed.map((q) => ({ ...q, unread: badges.get(q.pusher.userId) ?? 0 })));
      if (claimed.length < this.claimBatch || this.stopped) return;
    }
  }

  private leaseUntil(): bigint {
    return BigInt(Date.now() + this.config.push.leaseMs);
  }

  /**
   * Leases up to claimBatch pushers with pushes due and reads their first ROWS_PER_ROUND due pushes, in one statement.
   * Each pusher's pushes are read by the (pusher, event) index alone (`next_attempt_ts + 0`): with statistics taken
   * while the outbox was nearly empty, the embedded database's planner ANDed in the next_attempt_ts index, reading
   * every due push of the outbox once per pusher (65 ms for 16 pushers with 150,000 due, 3 ms without).
   */
  private async claim(): Promise<Array<{ pusher: LeasedPusher; rows: OutboxRow[] }>> {
    const now = BigInt(Date.now());
    const rows = await this.db.$queryRawUnsafe<
      Array<{
        pusher_id: bigint;
        user_id: string;
        app_id: string;
        pushkey: string;
        pushkey_ts: bigint;
        data: string;
        id: bigint | null;
        event_id: string;
        room_id: string;
        actions: string;
        attempts: number;
      }>
    >(
      `WITH claimed AS (
         UPDATE pushers SET lease_owner = $1, lease_until = $2
          WHERE pusher_id IN (
            SELECT p.pusher_id FROM pushers p
             WHERE p.pusher_id = ANY(ARRAY(
                     SELECT o.pusher_id FROM push_outbox o WHERE o.next_attempt_ts <= $3
                      ORDER BY o.next_attempt_ts LIMIT ${CLAIM_WINDOW_PER_PUSHER * this.claimBatch}))
               AND (p.lease_until IS NULL OR p.lease_until < $3 OR p.lease_owner = $1)
             ORDER BY p.pusher_id LIMIT ${this.claimBatch}
             FOR UPDATE SKIP LOCKED)
         RETURNING pusher_id, user_id, app_id, pushkey, pushkey_ts, data)
       SELECT c.pusher_id, c.user_id, c.app_id, c.pushkey, c.pushkey_ts, c.data, o.id, o.event_id, o.room_id, o.actions, o.attempts
         FROM claimed c
         LEFT JOIN LATERAL (
           SELECT o.id, o.event_id, o.room_id, o.actions, o.attempts FROM push_outbox o
            WHERE o.pusher_id = c.pusher_id AND o.next_attempt_ts + 0 <= $3
            ORDER BY o.id LIMIT ${ROWS_PER_ROUND}) o ON true
        ORDER BY c.pusher_id, o.id`,
      this.owner,
      this.leaseUntil(),
      now,
    );
    const leasedAt = Date.now();
    const queues = new Map<bigint, { pusher: LeasedPusher; rows: OutboxRow[] }>();
    for (const r of rows) {
      let queue = queues.get(r.pusher_id);
      if (!queue) {
        const pusher: LeasedPusher = {
          pusherId: r.pusher_id,
          userId: r.user_id,
          appId: r.app_id,
          pushkey: r.pushkey,
          pushkeyTs: r.pushkey_ts,
          data: JSON.parse(r.data) as Record<string, unknown>,
          leasedAt,
        };
        queue = { pusher, rows: [] };
        queues.set(r.pusher_id, queue);
      }
      if (r.id !== null)
        queue.rows.push({ id: r.id, eventId: r.event_id, roomId: r.room_id, actions: r.actions, attempts: r.attempts });
    }
    return [...queues.values()];
  }

  /**
   * Renews the lease unless what is left of it outlasts a push (at most
   * gatewayTimeoutMs, with a second to spare), so it cannot run out while a
   * push is in flight and another replica send it again; false if another
   * replica has the pusher now (or it was deleted).
   */
  private async renew(pusher: LeasedPusher): Promise<boolean> {
    const { leaseMs, gatewayTimeoutMs } = this.config.push;
    if (Date.now() - pusher.leasedAt < leaseMs - gatewayTimeoutMs - 1000) return true;
    const renewed = await this.db.pusher.updateMany({
      where: { pusherId: pusher.pusherId, leaseOwner: this.owner },
      data: { leaseUntil: this.leaseUntil() },
    });
    pusher.leasedAt = Date.now();
    return renewed.count === 1;
  }

  /** The badge (push-gateway-api `counts.unread`): each user's unread notifications, read once per round for all the round's users. */
  private async unreadCounts(userIds: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const c of await this.unread.ofUsers(userIds))
      counts.set(c.userId, (counts.get(c.userId) ?? 0) + c.notificationCount);
    return counts;
  }

  /**
   * Every pusher's due pushes, in order, the pushers side by side: a wave
   * sends each pusher its next push, then deletes the rows of every push the
   * gateways answered in one statement (one per push was most of a push's
   * cost on the embedded database), which after the last wave also gives the
   * round's pushers back (a pusher with pushes still due is claimed again by
   * the next round). A replica killed mid-wave has at most one answered row
   * per pusher not yet deleted, so sends again at most one push per pusher,
   * as when each row went on its own. A pusher stops at a push to retry
   * later (those behind it wait with it) or when it is gone.
   */
  private async deliverInWaves(
    queues: Array<{ pusher: LeasedPusher; rows: OutboxRow[]; unread: number }>,
  ): Promise<void> {
    let active = queues.filter((q) => q.rows.length > 0);
    for (;;) {
      const answered: bigint[] = [];
      const pushing: Array<Promise<void>> = [];
      for (let at = 0; at < active.length && !this.stopped; at += WAVE_SLICE) {
        await this.foreground.turn();
        for (const q of active.slice(at, at + WAVE_SLICE)) pushing.push(this.pushNext(q, answered));
      }
      await Promise.all(pushing);
      active = this.stopped ? [] : active.filter((q) => q.rows.length > 0);
      await this.foreground.turn();
      await this.finishWave(answered, active.length === 0 ? queues.map((q) => q.pusher.pusherId) : []);
      if (active.length === 0) return;
    }
  }

  /** Deletes the answered pushes' rows and gives the pushers in `release` back, in one statement. */
  private async finishWave(answered: bigint[], release: bigint[]): Promise<void> {
    if (answered.length === 0 && release.length === 0) return;
    await this.db.$executeRawUnsafe(
      `WITH answered AS (DELETE FROM push_outbox WHERE id = ANY($1::bigint[]))
       UPDATE pushers SET lease_owner = NULL, lease_until = NULL WHERE pusher_id = ANY($2::bigint[]) AND lease_owner = $3`,
      answered,
      release,
      this.owner,
    );
  }

  /** A pusher's next push; an answered one's row goes into `answered`, and a pusher that cannot go on stops. */
  private async pushNext(
    q: { pusher: LeasedPusher; rows: OutboxRow[]; unread: number },
    answered: bigint[],
  ): Promise<void> {
    const row = q.rows.shift()!;
    try {
      const outcome = (await this.renew(q.pusher)) ? await this.push(q.pusher, row, q.unread) : 'gone';
      if (outcome === 'sent') answered.push(row.id);
      else q.rows = [];
    } catch (e) {
      q.rows = [];
      this.logger.warn(`pusher ${q.pusher.pusherId}: ${(e as Error).message}`);
    }
  }

  /**
   * One push: 'sent' (or dropped for good: the caller deletes its row), 'rejected' (the pusher is gone), or
   * 'later' (retry after backoff).
   */
  private async push(pusher: LeasedPusher, row: OutboxRow, unread: number): Promise<'sent' | 'rejected' | 'later'> {
    const url = pusher.data.url;
    if (typeof url !== 'string') return 'sent';
    const body = notificationBody(
      pusher,
      await this.pushedEvent(pusher, row),
      JSON.parse(row.actions) as PushAction[],
      unread,
    );
    try {
      const answer = await this.gateway.notify(url, body);
      if (answer.rejected.includes(pusher.pushkey)) {
        // push-gateway-api: a rejected pushkey is not to be used again; its pusher goes with its queue.
        this.logger.log(`the gateway rejected pushkey of pusher ${pusher.pusherId} (${pusher.appId}): removing it`);
        await this.db.$transaction([
          this.db.pushOutbox.deleteMany({ where: { pusherId: pusher.pusherId } }),
          this.db.pusher.deleteMany({ where: { pusherId: pusher.pusherId } }),
        ]);
        return 'rejected';
      }
      return 'sent';
    } catch (e) {
      if (e instanceof GatewayError && !e.retry) {
        this.logger.warn(`push of ${row.eventId} to pusher ${pusher.pusherId} refused for good: ${e.message}`);
        return 'sent';
      }
      const delay = Math.min(this.config.push.maxRetryDelayMs, 1000 * 2 ** Math.min(row.attempts, 20));
      this.logger.debug(
        `push of ${row.eventId} to pusher ${pusher.pusherId} failed (${(e as Error).message}); retrying in ${delay} ms`,
      );
      await this.db.pushOutbox.update({
        where: { id: row.id },
        data: { attempts: row.attempts + 1, nextAttemptTs: BigInt(Date.now() + delay) },
      });
      return 'later';
    }
  }

  /** The event as the full format names it; nothing more is read for event_id_only. */
  private async pushedEvent(pusher: LeasedPusher, row: OutboxRow): Promise<PushedEvent> {
    const pushed: PushedEvent = { eventId: row.eventId, roomId: row.roomId };
    if (pusher.data.format === 'event_id_only') return pushed;
    const rows = await this.db.$queryRawUnsafe<Array<{ json: string }>>(
      `SELECT ej.json FROM events e JOIN event_json ej ON ej.event_nid = e.event_nid WHERE e.event_id = $1`,
      row.eventId,
    );
    if (rows.length === 0) return pushed;
    const event = JSON.parse(rows[0].json) as NonNullable<PushedEvent['event']>;
    return {
      ...pushed,
      event: {
        type: event.type,
        sender: event.sender,
        content: event.content,
        ...(event.state_key !== undefined ? { state_key: event.state_key } : {}),
      },
      userIsTarget: event.state_key === pusher.userId,
    };
  }
}
