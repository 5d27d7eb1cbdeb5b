import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { OutputRoomEvent } from '@lattice/contracts';
import {
  defaultRuleset,
  effectiveRules,
  evaluatePushRules,
  propertyAt,
  type PushEvent,
  type PushOutcome,
  type PushRules,
} from '@lattice/push-rules';
import {
  allocationSql,
  DATABASE,
  mapConcurrently,
  firstAllocated,
  ForegroundWork,
  PRISMA,
  POSITION_CACHE,
  type Database,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { KeptRoomPushContexts } from './kept-room-push-contexts';
import { RoomPushContextReader } from './room-push-context';

/**
 * An event's outcome for one member, or for every member it is shared by (userId SHARED): notifies or highlights,
 * but a member's own row may say neither, to take the shared one's place.
 */
interface NotificationRow {
  userId: string;
  notify: boolean;
  highlight: boolean;
  actions: string;
}

/** An event that notifies someone, with whom and in which thread. */
interface EvaluatedEvent {
  event: OutputRoomEvent;
  threadId: string;
  rows: NotificationRow[];
}

type EvaluatedPdu = PushEvent & { sender: string; type: string; content: Record<string, unknown>; state_key?: string };

/**
 * Evaluates each new event for every local member of its room
 * (client-server-api "Server behaviour": each local user but the sender),
 * off the send path: it consumes the room-server's output, as many events
 * at a time as arrived together, reading each room's rules once for all of
 * its events. Members with the server-default rules whom the event does not
 * name share one outcome, written once as the event's shared row
 * (SharedPushAction says whom it stands for); the others get rows of their
 * own (EventPushAction). A message in a room of N members wrote N - 1 rows, one per
 * member, and those rows were most of the embedded database's work under
 * fan-out. The rows, the pushes they call for and each room's
 * evaluated position (`push_room_progress`, last) are written in chunks
 * (write), then announced (output.pushProgress, which /sync waits for); the
 * (user, event) key makes a redelivered or re-evaluated event write and
 * push nothing twice.
 */
@Injectable()
export class NotificationRecorder {
  /**
   * Notification rows per statement: bounds how long a send that arrives meanwhile waits for the statement under
   * way. The embedded database runs one statement at a time, ~40 µs a row: 50 rows (~2 ms) took a probe's sends
   * under the pushes of a 10,000-member room from +37.3 to +18.7 ms at p99, for all its rows counted in 9.3 s
   * instead of 6.3 (push bench, one run each), and the replay's send p99/p50 from 3.4-3.5 to 2.6-2.9. On Postgres
   * a send has a connection of its own, and each statement is a round trip through a loaded event loop: 500 rows
   * against 250 under fan-out (alternated runs) took delivery p99 from 538-851 to 425-491 ms at the same
   * events/s; 1,000 to 363-496, but with send p99 90-147 ms against 93-117 and fewer events/s.
   */
  rowsPerStatement: number;

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
    private readonly rooms: RoomPushContextReader,
    private readonly contexts: KeptRoomPushContexts,
    private readonly foreground: ForegroundWork,
  ) {
    this.rowsPerStatement = database.kind === 'embedded' ? 50 : 500;
  }

  /** Returns whether any push was queued. */
  async recordAll(events: readonly OutputRoomEvent[]): Promise<boolean> {
    // Negative positions are history fetched from other servers: never new to anyone.
    const byRoom = new Map<string, OutputRoomEvent[]>();
    for (const event of events) {
      if (BigInt(event.streamPos) <= 0n) continue;
      const roomEvents = byRoom.get(event.roomId);
      if (roomEvents) roomEvents.push(event);
      else byRoom.set(event.roomId, [event]);
    }
    if (byRoom.size === 0) return false;
    // Rooms side by side: one after another, each read waited for its reply through a loaded event loop.
    const evaluated = (
      await mapConcurrently([...byRoom], ROOMS_AT_ONCE, ([roomId, roomEvents]) => this.evaluateRoom(roomId, roomEvents))
    ).flat();
    const progress = [...byRoom].map(([roomId, roomEvents]) => ({
      roomId,
      streamPos: roomEvents.reduce((max, e) => (BigInt(e.streamPos) > max ? BigInt(e.streamPos) : max), 0n),
    }));
    const { positions, queued, fanouts } = await this.write(evaluated, progress);
    if (positions.size > 0) {
      await this.positions.advance(
        'notifications',
        [...positions.values()].reduce((a, b) => (a > b ? a : b)),
      );
      // Wakes each room's long-polls once: their counts changed (however many members and events).
      await this.bus.publishAll(
        'output.streams',
        [...positions].map(([roomId, position]) => ({
          stream: 'notifications' as const,
          position: position.toString(),
          roomId,
        })),
      );
    }
    await this.bus.publish('output.pushProgress', {
      rooms: progress.map((p) => ({ roomId: p.roomId, streamPos: p.streamPos.toString() })),
    });
    // After the counts are announced: /sync does not wait for the pushes of a large room.
    return (fanouts > 0 && (await this.queuePendingPushes())) || queued > 0;
  }

  /**
   * Queues the pushes of shared rows (push_fanouts), rowsPerStatement members a statement, each after the
   * foreground work under way: a single statement queuing a 10,000-member room's pushes held the embedded database
   * for ~120 ms from the sends meanwhile (push bench, probe p99). Each statement locks one pending shared row (SKIP
   * LOCKED: another replica takes another), queues the pushes of its next members that have pushers and moves its
   * cursor past them, or deletes it with its last members, so a stop midway loses and repeats nothing: the next
   * call (at start, or after a batch that adds pending pushes) goes on. Returns whether any push was queued.
   */
  async queuePendingPushes(): Promise<boolean> {
    let queued = 0;
    for (;;) {
      await this.foreground.awaitedTurn();
      const [step] = await this.database.sql.query<{ fanouts: number; queued: number }>(FANOUT_STEP, [
        this.rowsPerStatement,
        BigInt(Date.now()),
      ]);
      queued += step.queued;
      if (step.fanouts === 0) return queued > 0;
    }
  }

  /**
   * The room's events that notify someone. The room's context is taken once for all of them, as of the last one's
   * state snapshot (KeptRoomPushContexts), or read from the current state.
   */
  private async evaluateRoom(roomId: string, events: OutputRoomEvent[]): Promise<EvaluatedEvent[]> {
    await this.foreground.awaitedTurn();
    const room = await this.contexts.contextOf(roomId, events[events.length - 1].stateSnapshot);
    const displayNames = new Map<string, string | undefined>();
    const evaluated: EvaluatedEvent[] = [];
    for (const event of events) {
      const pdu = event.pdu as unknown as EvaluatedPdu;
      const levels = room.powerLevels ?? {};
      const users = (levels.users ?? {}) as Record<string, unknown>;
      const senderLevel = users[pdu.sender] ?? levels.users_default ?? 0;
      const base = {
        memberCount: room.memberCount,
        senderPowerLevel: typeof senderLevel === 'number' ? senderLevel : 0,
        notificationPowerLevels: (levels.notifications ?? {}) as Record<string, unknown>,
      };
      const outcomes = new Map<string, PushOutcome | undefined>();
      // The server-default rules name their user in two places only (the invitee of .m.rule.invite_for_me and
      // .m.rule.is_user_mention): every member without rules of their own whom the event does not name gets
      // the outcome of a user nobody names, evaluated once however large the room.
      const generic = evaluatePushRules(GENERIC_RULES, pdu, { ...base, userId: GENERIC_USER });
      const invite = pdu.type === 'm.room.member' && pdu.content.membership === 'invite';
      const named = namedUsers(pdu).filter((u) => !room.customRules.has(u));
      for (const userId of await this.rooms.localMembersAmong(roomId, named, invite ? ['join', 'invite'] : ['join']))
        outcomes.set(userId, evaluatePushRules(effectiveRules(undefined, userId).global, pdu, { ...base, userId }));
      for (const [userId, rules] of room.customRules) {
        if (usesDisplayName(rules) && !displayNames.has(userId))
          displayNames.set(userId, await this.displayName(roomId, userId));
        const displayName = displayNames.get(userId);
        outcomes.set(userId, evaluatePushRules(rules.global, pdu, { ...base, userId, displayName }));
      }
      outcomes.delete(pdu.sender);
      const shared = notifies(generic);
      const rows: NotificationRow[] = shared ? [rowOf(SHARED, generic)] : [];
      for (const [userId, outcome] of outcomes)
        if (notifies(outcome)) rows.push(rowOf(userId, outcome));
        else if (shared) rows.push({ userId, notify: false, highlight: false, actions: '[]' });
      if (rows.length > 0) evaluated.push({ event, threadId: await this.rooms.threadOf(pdu.content), rows });
    }
    return evaluated;
  }

  /**
   * Writes the rows about rowsPerStatement at a time, each chunk one statement (atomic without a transaction's round trips)
   * after the foreground work under way (ForegroundWork; at once while a /sync answer waits for the evaluation),
   * so that a room of 10,000 members does not hold the database (the embedded one runs one statement at a time)
   * or the event loop from the sends meanwhile. Each chunk allocates the notifications positions of the events it
   * has rows of, so every row commits with its position: a reader that sees the stream at N has every row up to N
   * and none after (UnreadCounts counts on this; positions allocated by the first chunk for the rows of later ones
   * would commit after rows of higher positions). An event's rows are never split between chunks: a member's own
   * row must commit with the shared row it takes the place of, or counts kept in between would hold the shared
   * one. Each chunk inserts its rows and queues the pushes of the rows
   * newly inserted; the last moves each room's evaluated position, so a process that stops between chunks
   * evaluates the events again and the (user, event) key writes and pushes only what was missing. Returns the
   * position of each room's last event that notifies, how many pushes were queued, and how many shared rows' pushes
   * were left to queuePendingPushes.
   */
  private async write(
    evaluated: EvaluatedEvent[],
    progress: Array<{ roomId: string; streamPos: bigint }>,
  ): Promise<{ positions: Map<string, bigint>; queued: number; fanouts: number }> {
    await this.foreground.awaitedTurn();
    if (evaluated.length === 0) {
      await this.db.$executeRawUnsafe(
        PROGRESS_UPSERT,
        progress.map((p) => p.roomId),
        progress.map((p) => p.streamPos),
      );
      return { positions: new Map(), queued: 0, fanouts: 0 };
    }
    const chunks: ChunkRow[][] = [[]];
    evaluated.forEach(({ event, threadId, rows }, ordinal) => {
      if (chunks[chunks.length - 1].length >= this.rowsPerStatement) chunks.push([]);
      chunks[chunks.length - 1].push(...rows.map((row) => ({ ...row, event, threadId, ordinal })));
    });
    const positions = new Map<string, bigint>();
    let queued = 0;
    let fanouts = 0;
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) await this.foreground.awaitedTurn();
      const written = await this.writeChunk(chunk, i === chunks.length - 1 ? progress : []);
      // Later chunks allocate higher positions: a room's last event that notifies is set last.
      for (const row of chunk) positions.set(row.event.roomId, written.first + BigInt(row.ordinal - chunk[0].ordinal));
      queued += written.queued;
      fanouts += written.fanouts;
    }
    return { positions, queued, fanouts };
  }

  /**
   * One chunk of write's rows (in event order): allocates a position per event among them. Through node-pg, not
   * Prisma: Prisma's handling of a raw statement's 2,250 parameters cost about three times node-pg's CPU (~10
   * against ~3 ms at 250 rows, measured), on the event loop the sends share. A member's own rows are not written
   * for an event whose shared row an earlier statement wrote (its evaluation again, after a stop or by another
   * replica): counts may have been kept with that shared row. A shared row's pushes are left to
   * queuePendingPushes (push_fanouts; nothing when no one has a pusher).
   */
  private async writeChunk(
    rows: ChunkRow[],
    progress: Array<{ roomId: string; streamPos: bigint }>,
  ): Promise<{ first: bigint; queued: number; fanouts: number }> {
    const events = rows[rows.length - 1].ordinal - rows[0].ordinal + 1;
    const [written] = await this.database.sql.query<{ last: string; queued: number; fanouts: number }>(
      `WITH alloc AS (${allocationSql("'notifications'", '$13::bigint')}),
       input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $14::text[], $3::text[], $4::bigint[], $5::text[], $6::boolean[], $7::boolean[], $8::text[], $9::int[])
           AS u(user_id, event_id, sender, room_id, stream_pos, thread_id, notify, highlight, actions, ordinal)),
       shared AS (
         INSERT INTO shared_push_actions (event_id, room_id, sender, stream_pos, thread_id, notify, highlight, actions, ts, notif_pos)
         SELECT u.event_id, u.room_id, u.sender, u.stream_pos, u.thread_id, u.notify, u.highlight, u.actions, $10::bigint,
                (SELECT position FROM alloc) - $13::bigint + 1 + u.ordinal
           FROM input u WHERE u.user_id = ''
         ON CONFLICT DO NOTHING
         RETURNING event_id, sender, room_id, stream_pos, notify, actions),
       own AS (
         INSERT INTO event_push_actions (user_id, event_id, room_id, stream_pos, thread_id, notify, highlight, actions, ts, notif_pos)
         SELECT u.user_id, u.event_id, u.room_id, u.stream_pos, u.thread_id, u.notify, u.highlight, u.actions, $10::bigint,
                (SELECT position FROM alloc) - $13::bigint + 1 + u.ordinal
           FROM input u
          WHERE u.user_id <> '' AND NOT EXISTS (SELECT 1 FROM shared_push_actions s WHERE s.event_id = u.event_id)
         ON CONFLICT DO NOTHING
         RETURNING user_id, event_id, room_id, notify, actions),
       queued AS (
         INSERT INTO push_outbox (pusher_id, user_id, event_id, room_id, actions, next_attempt_ts)
         SELECT p.pusher_id, p.user_id, own.event_id, own.room_id, own.actions, $10::bigint
           FROM own JOIN pushers p ON p.user_id = own.user_id
          WHERE own.notify
         ON CONFLICT DO NOTHING
         RETURNING 1),
       fanouts AS (
         INSERT INTO push_fanouts (event_id, room_id, sender, stream_pos, actions)
         SELECT s.event_id, s.room_id, s.sender, s.stream_pos, s.actions FROM shared s
          WHERE s.notify AND EXISTS (SELECT 1 FROM pushers)
         RETURNING 1),
       progress AS (${PROGRESS_UPSERT.replace('$1', '$11').replace('$2', '$12')})
       SELECT (SELECT position FROM alloc) AS last, (SELECT count(*)::int FROM queued) AS queued,
              (SELECT count(*)::int FROM fanouts) AS fanouts`,
      [
        rows.map((r) => r.userId),
        rows.map((r) => r.event.eventId),
        rows.map((r) => r.event.roomId),
        rows.map((r) => BigInt(r.event.streamPos)),
        rows.map((r) => r.threadId),
        rows.map((r) => r.notify),
        rows.map((r) => r.highlight),
        rows.map((r) => r.actions),
        rows.map((r) => r.ordinal - rows[0].ordinal),
        BigInt(Date.now()),
        progress.map((p) => p.roomId),
        progress.map((p) => p.streamPos),
        events,
        rows.map((r) => r.event.pdu.sender),
      ],
    );
    return {
      first: firstAllocated(BigInt(written.last), events),
      queued: written.queued,
      fanouts: written.fanouts,
    };
  }

  private async displayName(roomId: string, userId: string): Promise<string | undefined> {
    const member = await this.rooms.stateContent(roomId, 'm.room.member', userId);
    return typeof member?.displayname === 'string' ? member.displayname : undefined;
  }
}

type ChunkRow = NotificationRow & { event: OutputRoomEvent; threadId: string; ordinal: number };

/** The user ID standing for the members an event's shared row is for (SharedPushAction) among a chunk's rows. */
const SHARED = '';

/**
 * One step of queuePendingPushes. $1: members a step, $2: now. The members are read in their state key's order by
 * current_state's key; those joined before the event, but its sender and those with a row of their own for it (their
 * row's pushes are queued with it), get a push per pusher.
 */
const FANOUT_STEP = `WITH f AS (
    SELECT * FROM push_fanouts ORDER BY stream_pos, event_id LIMIT 1 FOR UPDATE SKIP LOCKED),
  scanned AS (
    SELECT cs.state_key_nid, cs.user_id, cs.membership, cs.stream_pos
      FROM f JOIN rooms r ON r.room_id = f.room_id
      JOIN current_state cs ON cs.room_nid = r.room_nid
       AND cs.type_nid = (SELECT type_nid FROM event_types WHERE type = 'm.room.member')
       AND cs.state_key_nid > f.after_member
     ORDER BY cs.state_key_nid LIMIT $1),
  queued AS (
    INSERT INTO push_outbox (pusher_id, user_id, event_id, room_id, actions, next_attempt_ts)
    SELECT p.pusher_id, p.user_id, f.event_id, f.room_id, f.actions, $2::bigint
      FROM f JOIN scanned s ON s.membership = 'join' AND s.stream_pos < f.stream_pos AND s.user_id <> f.sender
      JOIN pushers p ON p.user_id = s.user_id
     WHERE NOT EXISTS (SELECT 1 FROM event_push_actions o WHERE o.user_id = s.user_id AND o.event_id = f.event_id)
    ON CONFLICT DO NOTHING
    RETURNING 1),
  moved AS (
    UPDATE push_fanouts pf SET after_member = (SELECT max(state_key_nid) FROM scanned)
      FROM f WHERE pf.event_id = f.event_id AND (SELECT count(*) FROM scanned) = $1
    RETURNING 1),
  done AS (
    DELETE FROM push_fanouts pf USING f WHERE pf.event_id = f.event_id AND (SELECT count(*) FROM scanned) < $1
    RETURNING 1)
  SELECT (SELECT count(*) FROM f)::int AS fanouts, (SELECT count(*) FROM queued)::int AS queued`;

/** Each room's events are evaluated up to its position (never moves back: a redelivered older event leaves it). */
const PROGRESS_UPSERT = `INSERT INTO push_room_progress (room_id, stream_pos) SELECT * FROM unnest($1::text[], $2::bigint[])
  ON CONFLICT (room_id) DO UPDATE SET stream_pos = GREATEST(push_room_progress.stream_pos, EXCLUDED.stream_pos)`;

/** Rooms of a batch evaluated at once: their reads (a statement each) wait side by side. */
const ROOMS_AT_ONCE = 8;

/** A user ID no event can name (it is not a valid one), standing for every member with the default rules. */
const GENERIC_USER = '@\u0000:';
const GENERIC_RULES = defaultRuleset(GENERIC_USER);

function notifies(outcome: PushOutcome | undefined): outcome is PushOutcome {
  return outcome !== undefined && (outcome.notify || outcome.highlight);
}

function rowOf(userId: string, outcome: PushOutcome): NotificationRow {
  return { userId, notify: outcome.notify, highlight: outcome.highlight, actions: JSON.stringify(outcome.actions) };
}

/** Users the event names where the default rules look for their user: m.mentions.user_ids and a membership's state_key. */
function namedUsers(pdu: PushEvent & { type: string; state_key?: string }): string[] {
  const mentioned = propertyAt(pdu, 'content.m\\.mentions.user_ids');
  const ids = Array.isArray(mentioned) ? mentioned.filter((u): u is string => typeof u === 'string') : [];
  if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string') ids.push(pdu.state_key);
  return [...new Set(ids)];
}

function usesDisplayName(rules: PushRules): boolean {
  return Object.values(rules.global).some((list) =>
    list.some((r) => r.enabled && r.conditions?.some((c) => c.kind === 'contains_display_name')),
  );
}
