import { Controller, Get, Query } from '@nestjs/common';
import { Auth, Errors, Requester } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { toClientEvent } from '@lattice/rooms';
import { notifiedEvents } from '@lattice/storage';
import { StorageAccess } from '../storage-access';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

function positionOf(from: string | undefined): bigint | undefined {
  if (from === undefined) return undefined;
  if (!/^\d{1,19}$/.test(from)) throw Errors.invalidParam('from is not a token of /notifications');
  return BigInt(from);
}

/**
 * GET /notifications (client-server-api "Listing Notifications"): the
 * events the user was notified of, newest first, paged by event position;
 * `read` says whether a read receipt has passed them.
 */
@Controller('_matrix/client/v3')
export class NotificationsController {
  constructor(private readonly storage: StorageAccess) {}

  @Get('notifications')
  async notifications(
    @Auth() r: Requester,
    @Query('from') from: string | undefined,
    @Query('limit') limitText: string | undefined,
    @Query('only') only: string | undefined,
  ) {
    const before = positionOf(from);
    const limit = Math.min(MAX_LIMIT, Math.max(1, Number.parseInt(limitText ?? '', 10) || DEFAULT_LIMIT));
    const rows = await notifiedEvents(this.storage.db, r.userId, {
      before,
      onlyHighlights: only === 'highlight',
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const events = await this.storage.visibility.visibleToUser(
      r.userId,
      await this.storage.reader.events(page.map((n) => n.eventId)),
    );
    const byId = new Map(events.map((e) => [e.eventId, e]));
    const notifications: JsonObject[] = [];
    for (const n of page) {
      const event = byId.get(n.eventId);
      if (!event) continue;
      notifications.push({
        actions: JSON.parse(n.actions) as JsonObject[],
        event: toClientEvent(event, r),
        read: n.read,
        room_id: n.roomId,
        ts: Number(n.ts),
      });
    }
    return {
      notifications,
      ...(rows.length > limit ? { next_token: page[page.length - 1].streamPos.toString() } : {}),
    };
  }
}
