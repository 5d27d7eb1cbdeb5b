import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { OutputRoomEvent } from '@lattice/contracts';
import { ForegroundWork, PRISMA, type PrismaClient } from '@lattice/storage';

/** The longest a response waits for the push service (it is down, or far behind): then counts come one sync later. */
const MAX_WAIT_MS = 2_000;
/**
 * Events older than this are not waited for: one the push service has not reached by then never will be
 * (committed while push was disabled, or before a single process's start looked back that far).
 */
const RECENT_MS = 60_000;
/** The most recent events remembered by ID; an older one a response carries is looked up in the store. */
const RECENT_EVENTS = 50_000;
/** A wait with no announcement for this long reads the store once, then waits twice as long: a lost message costs little. */
const FIRST_RECHECK_MS = 100;

/**
 * The push service evaluates events off the send path, so /sync can see an
 * event before its notification rows exist. A response that carries events
 * of other senders waits until their rooms are evaluated up to them, so the
 * unread counts it carries count them (client-server-api "Receiving
 * notifications"): the badge and the message arrive together. The push
 * service announces what it has evaluated (output.pushProgress), so a wait
 * costs no query: each worker keeps the rooms' evaluated positions and the
 * position of recent events (from output.room), and reads the store only
 * for what it has not heard about (`push_room_progress`).
 */
@Injectable()
export class PushEvaluation implements OnModuleInit {
  private readonly logger = new Logger(PushEvaluation.name);
  private readonly enabled: boolean;
  /** Recent events by ID, oldest first: where they are in their room's stream. */
  private readonly recent = new Map<string, { roomId: string; streamPos: bigint; seenAt: number }>();
  /** How far each room's events are evaluated, as far as this worker knows. */
  private readonly evaluated = new Map<string, bigint>();
  private waiters: Array<() => void> = [];

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
    private readonly foreground: ForegroundWork,
  ) {
    this.enabled = config.push.enabled;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.bus.consume('output.room', (event) => this.remember(event));
    this.bus.consume('output.pushProgress', ({ rooms }) => {
      for (const { roomId, streamPos } of rooms) this.advance(roomId, BigInt(streamPos));
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  /**
   * Resolves once every one of these events is evaluated, after MAX_WAIT_MS, or when `signal` aborts. Meanwhile the
   * evaluation in this process goes ahead of the sends (ForegroundWork.awaiting): this answer is waiting for it.
   */
  async settled(eventIds: string[], signal?: AbortSignal): Promise<void> {
    if (!this.enabled || eventIds.length === 0) return;
    await this.foreground.awaiting(() => this.evaluation(eventIds, signal));
  }

  private async evaluation(eventIds: string[], signal?: AbortSignal): Promise<void> {
    const awaited = await this.roomPositionsOf(eventIds);
    if (awaited.size === 0) return;
    await this.readProgress([...awaited.keys()].filter((roomId) => !this.evaluated.has(roomId)));
    const deadline = Date.now() + MAX_WAIT_MS;
    for (let recheck = FIRST_RECHECK_MS; !this.reached(awaited); recheck *= 2) {
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) {
        this.logger.debug(
          `Push evaluation has not reached ${eventIds.length} events after ${MAX_WAIT_MS} ms: their unread counts come with a later sync`,
        );
        return;
      }
      if (!(await this.announcement(Math.min(recheck, left), signal))) await this.readProgress([...awaited.keys()]);
    }
  }

  private remember(event: OutputRoomEvent): void {
    const streamPos = BigInt(event.streamPos);
    if (streamPos <= 0n) return;
    const now = Date.now();
    this.recent.set(event.eventId, { roomId: event.roomId, streamPos, seenAt: now });
    for (const [eventId, { seenAt }] of this.recent) {
      if (this.recent.size <= RECENT_EVENTS && seenAt > now - RECENT_MS) break;
      this.recent.delete(eventId);
    }
  }

  private advance(roomId: string, streamPos: bigint): void {
    if (streamPos > (this.evaluated.get(roomId) ?? 0n)) this.evaluated.set(roomId, streamPos);
  }

  /** The highest position, per room, of these events that are recent enough to wait for (history from other servers never is). */
  private async roomPositionsOf(eventIds: string[]): Promise<Map<string, bigint>> {
    const positions = new Map<string, bigint>();
    const note = (roomId: string, streamPos: bigint) => {
      if (streamPos > (positions.get(roomId) ?? 0n)) positions.set(roomId, streamPos);
    };
    const unknown: string[] = [];
    for (const eventId of eventIds) {
      const known = this.recent.get(eventId);
      if (known) note(known.roomId, known.streamPos);
      else unknown.push(eventId);
    }
    if (unknown.length > 0) {
      const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; stream_pos: bigint }>>(
        `SELECT r.room_id, e.stream_pos FROM events e JOIN rooms r ON r.room_nid = e.room_nid
          WHERE e.event_id = ANY($1::text[]) AND e.stream_pos > 0 AND e.origin_server_ts > $2`,
        unknown,
        BigInt(Date.now() - RECENT_MS),
      );
      for (const row of rows) note(row.room_id, BigInt(row.stream_pos));
    }
    return positions;
  }

  private async readProgress(roomIds: string[]): Promise<void> {
    if (roomIds.length === 0) return;
    const rows = await this.db.$queryRawUnsafe<Array<{ room_id: string; stream_pos: bigint }>>(
      `SELECT room_id, stream_pos FROM push_room_progress WHERE room_id = ANY($1::text[])`,
      roomIds,
    );
    for (const row of rows) this.advance(row.room_id, BigInt(row.stream_pos));
  }

  private reached(awaited: Map<string, bigint>): boolean {
    for (const [roomId, streamPos] of awaited) if ((this.evaluated.get(roomId) ?? 0n) < streamPos) return false;
    return true;
  }

  /** Whether an announcement came within `ms` (false on timeout or abort). */
  private announcement(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (announced: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        resolve(announced);
      };
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.push(() => done(true));
    });
  }
}
