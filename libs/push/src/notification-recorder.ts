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
  allocateStreamPositions,
  PRISMA,
  POSITION_CACHE,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { RoomPushContextReader } from './room-push-context';

/** One member's outcome for an event that notifies or highlights them. */
interface NotificationRow {
  userId: string;
  notify: boolean;
  highlight: boolean;
  actions: string;
}

/**
 * Evaluates each new event for every local member of its room
 * (client-server-api "Server behaviour": each local user but the sender),
 * off the send path: it consumes the room-server's output. The rows of an
 * event, the pushes they call for and the room's evaluated position
 * (`push_room_progress`, which /sync waits for) are written in one
 * transaction; the (user, event) key makes a redelivered or re-evaluated
 * event write and push nothing twice.
 */
@Injectable()
export class NotificationRecorder {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
    private readonly rooms: RoomPushContextReader,
  ) {}

  /** Returns whether any push was queued. */
  async record(event: OutputRoomEvent): Promise<boolean> {
    // Negative positions are history fetched from other servers: never new to anyone.
    if (BigInt(event.streamPos) <= 0n) return false;
    const pdu = event.pdu as unknown as PushEvent & {
      sender: string;
      type: string;
      content: Record<string, unknown>;
      state_key?: string;
    };
    const room = await this.rooms.read(event.roomId);
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
    if (notifies(generic))
      for (const userId of await this.rooms.localMembers(event.roomId)) outcomes.set(userId, generic);
    const invite = pdu.type === 'm.room.member' && pdu.content.membership === 'invite';
    const named = namedUsers(pdu).filter((u) => !room.customRules.has(u));
    for (const userId of await this.rooms.localMembersAmong(
      event.roomId,
      named,
      invite ? ['join', 'invite'] : ['join'],
    )) {
      outcomes.set(userId, evaluatePushRules(effectiveRules(undefined, userId).global, pdu, { ...base, userId }));
    }
    for (const [userId, rules] of room.customRules) {
      const displayName = usesDisplayName(rules) ? await this.displayName(event.roomId, userId) : undefined;
      outcomes.set(userId, evaluatePushRules(rules.global, pdu, { ...base, userId, displayName }));
    }
    outcomes.delete(pdu.sender);
    const rows: NotificationRow[] = [];
    for (const [userId, outcome] of outcomes) {
      if (notifies(outcome))
        rows.push({
          userId,
          notify: outcome.notify,
          highlight: outcome.highlight,
          actions: JSON.stringify(outcome.actions),
        });
    }
    if (rows.length === 0) {
      await this.db.$executeRawUnsafe(PROGRESS_UPSERT, event.roomId, BigInt(event.streamPos));
      return false;
    }
    const threadId = await this.rooms.threadOf(pdu.content);
    const { position, queued } = await this.write(event, threadId, rows);
    await this.positions.advance('notifications', position);
    // Wakes the room's long-polls: their counts changed (a single message, however many members).
    await this.bus.publish('output.streams', {
      stream: 'notifications',
      position: position.toString(),
      roomId: event.roomId,
    });
    return queued > 0;
  }

  private async write(
    event: OutputRoomEvent,
    threadId: string,
    rows: NotificationRow[],
  ): Promise<{ position: bigint; queued: number }> {
    const now = Date.now();
    return this.db.$transaction(async (tx) => {
      const position = await allocateStreamPositions(tx, 'notifications', 1);
      const inserted = await tx.$queryRawUnsafe<Array<{ user_id: string; notify: boolean; actions: string }>>(
        `INSERT INTO event_push_actions (user_id, event_id, room_id, stream_pos, thread_id, notify, highlight, actions, ts, notif_pos)
         SELECT u.user_id, $5, $6, $7, $8, u.notify, u.highlight, u.actions, $9, $10
           FROM unnest($1::text[], $2::boolean[], $3::boolean[], $4::text[]) AS u(user_id, notify, highlight, actions)
         ON CONFLICT DO NOTHING
         RETURNING user_id, notify, actions`,
        rows.map((r) => r.userId),
        rows.map((r) => r.notify),
        rows.map((r) => r.highlight),
        rows.map((r) => r.actions),
        event.eventId,
        event.roomId,
        BigInt(event.streamPos),
        threadId,
        BigInt(now),
        position,
      );
      await tx.$executeRawUnsafe(PROGRESS_UPSERT, event.roomId, BigInt(event.streamPos));
      const toPush = inserted.filter((r) => r.notify);
      const queued = toPush.length
        ? await tx.$executeRawUnsafe(
            `INSERT INTO push_outbox (pusher_id, user_id, event_id, room_id, actions, next_attempt_ts)
             SELECT p.pusher_id, p.user_id, $3, $4, u.actions, $5
               FROM unnest($1::text[], $2::text[]) AS u(user_id, actions)
               JOIN pushers p ON p.user_id = u.user_id
             ON CONFLICT DO NOTHING`,
            toPush.map((r) => r.user_id),
            toPush.map((r) => r.actions),
            event.eventId,
            event.roomId,
            BigInt(now),
          )
        : 0;
      return { position, queued };
    });
  }

  private async displayName(roomId: string, userId: string): Promise<string | undefined> {
    const member = await this.rooms.stateContent(roomId, 'm.room.member', userId);
    return typeof member?.displayname === 'string' ? member.displayname : undefined;
  }
}

/** The room's events are evaluated up to $2 (never moves back: a redelivered older event leaves it). */
const PROGRESS_UPSERT = `INSERT INTO push_room_progress (room_id, stream_pos) VALUES ($1, $2)
  ON CONFLICT (room_id) DO UPDATE SET stream_pos = GREATEST(push_room_progress.stream_pos, EXCLUDED.stream_pos)`;

/** A user ID no event can name (it is not a valid one), standing for every member with the default rules. */
const GENERIC_USER = '@\u0000:';
const GENERIC_RULES = defaultRuleset(GENERIC_USER);

function notifies(outcome: PushOutcome | undefined): outcome is PushOutcome {
  return outcome !== undefined && (outcome.notify || outcome.highlight);
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
