import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TenantConfig } from '@lattice/config';
import { Auth, GuestAllowed, integerParam, Requester, Tenant } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import {
  EventVisibility,
  requireRoomView,
  roomViewOf,
  stateInView,
  toClientEvent,
  viewHorizon,
  type ReadableRoomView,
  type StoredEvent,
  SYNC_ROOM_READS,
  type SyncRoomReads,
} from '@lattice/rooms';
import { formatPaginationToken, parsePaginationToken } from '@lattice/streams';
import { SyncService } from '../sync-service';
import { clientGoneSignal } from './client-gone';

/** Events one /events answer carries at most. */
const EVENTS_LIMIT = 100;
/** The longest a /events request waits (its `timeout`); without one it answers at once, as /sync does ("By default, this is 0"). */
const MAX_TIMEOUT_MS = 60_000;
/** How often a waiting /events looks again though nothing woke it (a wake-up lost between processes). */
const RECHECK_MS = 5_000;
/** Timeline events per room of an initialSync when the request names no limit. */
const DEFAULT_MESSAGES = 20;
const MAX_MESSAGES = 100;
/** Account data of every stream position. */
const ALL_POSITIONS = 2n ** 62n;

/**
 * The APIs that came before /sync and remain for peeking (client-server-api
 * "Peeking", room_initial_sync.yaml; old_sync.yaml for the deprecated forms):
 * GET /rooms/{roomId}/initialSync and GET /initialSync (a room's or every
 * room's state, latest messages and account data), and GET /events (the
 * events after a token, waiting up to `timeout` for some; in one room, which
 * a non-member may follow when it is world_readable, or in every room the
 * user is joined to). Tokens are /messages tokens: `end` of one answer is
 * the `from` of the next request. Every event passes history visibility.
 */
@Controller('_matrix/client/v3')
export class LegacySyncController {
  constructor(
    private readonly sync: SyncService,
    @Inject(SYNC_ROOM_READS) private readonly reader: SyncRoomReads,
    private readonly visibility: EventVisibility,
  ) {}

  @GuestAllowed()
  @Get('rooms/:roomId/initialSync')
  async roomInitialSync(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string) {
    const view = await requireRoomView(this.reader, this.visibility, roomId, r.userId);
    return this.roomSnapshot(r, t, roomId, view, DEFAULT_MESSAGES, await this.accountData(r.userId));
  }

  @Get('initialSync')
  async initialSync(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Query('limit') limitParam?: string,
    @Query('archived') archived?: string,
  ) {
    const limit = Math.min(integerParam('limit', limitParam, 0) ?? DEFAULT_MESSAGES, MAX_MESSAGES);
    const end = formatPaginationToken((await this.reader.maxStreamPos()) + 1n);
    const memberships = archived === 'true' ? ['join', 'invite', 'leave', 'ban'] : ['join', 'invite'];
    const accountData = await this.accountData(r.userId);
    const rooms = [];
    for (const { roomId } of await this.reader.roomsOfUser(r.userId, memberships)) {
      // An invite, or a room left and forgotten, has nothing the user may read: it is listed by its membership alone.
      const view = await roomViewOf(this.reader, this.visibility, roomId, r.userId);
      rooms.push(
        view.kind === 'none' || view.kind === 'unknown'
          ? { room_id: roomId, membership: await this.reader.membership(roomId, r.userId) }
          : await this.roomSnapshot(r, t, roomId, view, limit, accountData),
      );
    }
    return {
      end,
      rooms,
      presence: [],
      account_data: accountData.filter((a) => a.roomId === '').map(({ type, content }) => ({ type, content })),
    };
  }

  @GuestAllowed()
  @Get('events')
  async events(
    @Auth() r: Requester,
    @Query('from') from?: string,
    @Query('timeout') timeoutParam?: string,
    @Query('room_id') roomId?: string,
    @Res({ passthrough: true }) reply?: FastifyReply,
  ) {
    const timeout = Math.min(integerParam('timeout', timeoutParam, 0) ?? 0, MAX_TIMEOUT_MS);
    const start = from === undefined ? (await this.reader.maxStreamPos()) + 1n : parsePaginationToken(from);
    if (roomId !== undefined) await requireRoomView(this.reader, this.visibility, roomId, r.userId);
    const roomIds =
      roomId !== undefined ? [roomId] : (await this.reader.roomsOfUser(r.userId, ['join'])).map((room) => room.roomId);
    const deadline = Date.now() + timeout;
    // A client that hung up, or a worker shutting down, ends the wait: the answer is what there is.
    const clientGone = clientGoneSignal(reply);
    const stop = AbortSignal.any([clientGone, this.sync.shutdownSignal]);
    const waiter = this.sync.notifier.register(r.userId, roomIds);
    try {
      for (;;) {
        const { events, next } = await this.eventsAfter(r.userId, new Set(roomIds), start);
        const left = stop.aborted ? 0 : deadline - Date.now();
        if (events.length > 0 || left <= 0)
          return {
            start: formatPaginationToken(start),
            end: formatPaginationToken(next),
            chunk: events.map((e) => toClientEvent(e, r)),
          };
        await waiter.wait(Math.min(left, RECHECK_MS), stop);
        waiter.reset();
      }
    } finally {
      waiter.done();
    }
  }

  /** The visible events of these rooms from `start` on, and the token after the last position looked at. */
  private async eventsAfter(
    userId: string,
    roomIds: Set<string>,
    start: bigint,
  ): Promise<{ events: StoredEvent[]; next: bigint }> {
    const upTo = await this.reader.maxStreamPos();
    if (upTo < start) return { events: [], next: start };
    const headers = await this.reader.eventHeadersInRange(start - 1n, upTo, EVENTS_LIMIT);
    const next = headers.length === EVENTS_LIMIT ? headers.at(-1)!.streamPos + 1n : upTo + 1n;
    const mine = headers.filter((h) => roomIds.has(h.roomId)).map((h) => h.eventNid);
    return { events: await this.visibility.visibleToUser(userId, await this.reader.eventsByNid(mine)), next };
  }

  /** room_initial_sync.yaml: the room's state as the view shows it, its latest visible messages, the user's membership and the room's account data. */
  private async roomSnapshot(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    view: ReadableRoomView,
    limit: number,
    accountData: Array<{ roomId: string; type: string; content: JsonObject }>,
  ) {
    const horizon = viewHorizon(view);
    const latest =
      limit === 0
        ? []
        : await this.reader.timeline(roomId, {
            ...(horizon === undefined ? {} : { upTo: horizon }),
            limit,
            backwards: true,
          });
    const visible = (await this.visibility.visibleToUser(r.userId, latest)).reverse();
    const newest = latest[0]?.streamPos;
    const oldest = latest.at(-1)?.streamPos;
    const membership = await this.reader.membership(roomId, r.userId);
    const published = (await this.reader.publishedRooms(t.serverName)).includes(roomId);
    return {
      room_id: roomId,
      ...(membership ? { membership } : {}),
      messages: {
        chunk: visible.map((e) => toClientEvent(e, r)),
        start: formatPaginationToken(oldest ?? (await this.reader.maxStreamPos()) + 1n),
        end: formatPaginationToken((newest ?? (await this.reader.maxStreamPos())) + 1n),
      },
      state: (await stateInView(this.reader, roomId, view)).map((e) => toClientEvent(e)),
      visibility: published ? 'public' : 'private',
      account_data: accountData.filter((a) => a.roomId === roomId).map(({ type, content }) => ({ type, content })),
      presence: [],
    };
  }

  private accountData(userId: string) {
    return this.sync.accountData.since(userId, 0n, ALL_POSITIONS);
  }
}
