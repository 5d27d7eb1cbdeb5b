import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { OutputRoomEvent } from '@lattice/contracts';
import { evaluatePushRules, type EvaluationContext, type PushRules } from '@lattice/push-rules';
import { allocateStreamPositions, DATABASE, POSITION_CACHE, type Database, type PositionCache } from '@lattice/storage';
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
 * event and the pushes they call for are written in one transaction; the
 * (user, event) key makes a redelivered event write and push nothing twice.
 */
@Injectable()
export class NotificationRecorder {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
    private readonly rooms: RoomPushContextReader,
  ) {}

  /** Returns whether any push was queued. */
  async record(event: OutputRoomEvent): Promise<boolean> {
    // Negative positions are history fetched from other servers: never new to anyone.
    if (BigInt(event.streamPos) <= 0n) return false;
    const pdu = event.pdu as unknown as Record<string, unknown> & { sender: string; type: string; content: Record<string, unknown>; state_key?: string };
    const room = await this.rooms.read(event.roomId);
    const recipients = new Set(room.localMembers);
    // An invite notifies the invitee, who is not joined yet (.m.rule.invite_for_me).
    if (pdu.type === 'm.room.member' && pdu.content.membership === 'invite' && pdu.state_key && (await this.isLocalUser(pdu.state_key))) recipients.add(pdu.state_key);
    recipients.delete(pdu.sender);
    if (recipients.size === 0) return false;

    const rules = await this.rooms.rulesOf([...recipients]);
    const levels = room.powerLevels ?? {};
    const users = (levels.users ?? {}) as Record<string, unknown>;
    const senderLevel = users[pdu.sender] ?? levels.users_default ?? 0;
    const base = {
      memberCount: room.memberCount,
      senderPowerLevel: typeof senderLevel === 'number' ? senderLevel : 0,
      notificationPowerLevels: (levels.notifications ?? {}) as Record<string, unknown>,
    };
    const rows: NotificationRow[] = [];
    for (const userId of recipients) {
      const userRules = rules.get(userId)!;
      const context: EvaluationContext = { ...base, userId, displayName: usesDisplayName(userRules) ? await this.displayName(event.roomId, userId) : undefined };
      const outcome = evaluatePushRules(userRules.global, pdu, context);
      if (outcome && (outcome.notify || outcome.highlight)) rows.push({ userId, notify: outcome.notify, highlight: outcome.highlight, actions: JSON.stringify(outcome.actions) });
    }
    if (rows.length === 0) return false;
    const threadId = await this.rooms.threadOf(pdu.content);
    const { position, queued } = await this.write(event, threadId, rows);
    await this.positions.advance('notifications', position);
    // Wakes the room's long-polls: their counts changed (a single message, however many members).
    await this.bus.publish('output.streams', { stream: 'notifications', position: position.toString(), roomId: event.roomId });
    return queued > 0;
  }

  private async write(event: OutputRoomEvent, threadId: string, rows: NotificationRow[]): Promise<{ position: bigint; queued: number }> {
    const now = Date.now();
    return this.db.prisma.$transaction(async (tx) => {
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

  private async isLocalUser(userId: string): Promise<boolean> {
    return (await this.db.prisma.user.count({ where: { userId } })) > 0;
  }

  private async displayName(roomId: string, userId: string): Promise<string | undefined> {
    const member = await this.rooms.stateContent(roomId, 'm.room.member', userId);
    return typeof member?.displayname === 'string' ? member.displayname : undefined;
  }
}

function usesDisplayName(rules: PushRules): boolean {
  return Object.values(rules.global).some((list) => list.some((r) => r.enabled && r.conditions?.some((c) => c.kind === 'contains_display_name')));
}
