import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, GuestAllowed, Requester, Tenant } from '@lattice/http';
import {
  BundledAggregations,
  EventVisibility,
  requireRoomView,
  SYNC_ROOM_READS,
  type SyncRoomReads,
  stateInView,
  toClientEvent,
  viewHorizon,
  type RoomView,
  type StoredEvent,
} from '@lattice/rooms';
import {
  formatPaginationToken,
  parsePaginationToken,
  roomEventFilterSchema,
  type RoomEventFilter,
} from '@lattice/streams';
import { HistoryBackfill } from './history-backfill';
import { SyncService } from '../sync-service';
import { hiddenByIgnore, ignoredUsersOf } from '../streams/ignored-users';
import { shownInTimeline } from '../streams/timeline-shown';

const MAX_LIMIT = 1_000;
/** Backfill requests one page may make before answering with what it has. */
const MAX_BACKFILL_ROUNDS = 3;

/** Timeline pagination: /messages and /context (client-server-api "Getting events for a room"). */
@Controller('_matrix/client/v3/rooms/:roomId')
export class MessagesController {
  constructor(
    private readonly history: HistoryBackfill,
    private readonly sync: SyncService,
    @Inject(SYNC_ROOM_READS) private readonly reader: SyncRoomReads,
    private readonly visibility: EventVisibility,
    private readonly bundles: BundledAggregations,
  ) {}

  @GuestAllowed()
  @Get('messages')
  async messages(
    @Tenant() tenant: TenantConfig,
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('dir') dir?: string,
    @Query('limit') limit?: string,
    @Query('filter') filter?: string,
  ) {
    // Who may read the room before what was asked of it: a stranger learns nothing from parameter errors.
    const view = await this.requireView(roomId, r.userId);
    if (dir !== 'b' && dir !== 'f') throw Errors.invalidParam('dir must be "b" or "f"');
    const eventFilter = parseRoomEventFilter(filter);
    const count = Math.min(Number(limit ?? 10) || 10, MAX_LIMIT);
    const backwards = dir === 'b';
    const position = from ? parsePaginationToken(from) : backwards ? (await this.reader.maxStreamPos()) + 1n : 0n;
    // Nothing after a former member's leave is theirs to see: the page ends there whatever the tokens say.
    const horizon = viewHorizon(view);
    const bound = to ? parsePaginationToken(to) : undefined;
    const before = backwards
      ? minPosition(position, horizon === undefined ? undefined : horizon + 1n)
      : minPosition(bound, horizon === undefined ? undefined : horizon + 1n);
    const page = () =>
      this.reader.timeline(
        roomId,
        backwards
          ? { before, after: bound === undefined ? undefined : bound - 1n, limit: count, backwards }
          : { after: position - 1n, before, limit: count, backwards },
      );
    let events = await page();
    // Paging back past the earliest event here: the history before it is fetched from the room's other servers.
    for (
      let round = 0;
      backwards && bound === undefined && events.length < count && round < MAX_BACKFILL_ROUNDS;
      round++
    ) {
      if (!(await this.history.backfill(tenant.serverName, roomId, count - events.length))) break;
      events = await page();
    }
    const visible = await this.visibility.visibleToUser(r.userId, events);
    const ignored = await this.ignoredBy(r.userId);
    const chunk = visible.filter((e) => shownInTimeline(e.pdu, roomId, ignored, eventFilter));
    const last = events.at(-1);
    return {
      start: from ?? formatPaginationToken(position),
      // `end` comes with every page that read events, full or not, as Synapse gives it (and Complement's
      // TestRoomImageRoundtrip wants it of a filtered short page); the page after the last event is empty and has
      // none, which is the spec's signal that no further events are available.
      ...(last ? { end: formatPaginationToken(backwards ? last.streamPos : last.streamPos + 1n) } : {}),
      chunk: await this.bundles.clientEvents(r, chunk),
      state: await this.lazyMembers(roomId, view, eventFilter, chunk),
    };
  }

  @GuestAllowed()
  @Get('context/:eventId')
  async context(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Query('limit') limit?: string,
  ) {
    const view = await this.requireView(roomId, r.userId);
    const found = await this.reader.event(eventId);
    const [event] = found && found.roomId === roomId ? await this.visibility.visibleToUser(r.userId, [found]) : [];
    // An event the user may not see is not found, as if it did not exist.
    if (!event) throw Errors.notFound('Event not found');
    const half = Math.ceil(Math.min(Number(limit ?? 10) || 10, MAX_LIMIT) / 2);
    const horizon = viewHorizon(view);
    const before = await this.reader.timeline(roomId, { before: event.streamPos, limit: half, backwards: true });
    const after = await this.reader.timeline(roomId, {
      after: event.streamPos,
      upTo: horizon,
      limit: half,
      backwards: false,
    });
    const last = after.at(-1) ?? event;
    const ignored = await this.ignoredBy(r.userId);
    const shown = async (events: StoredEvent[]) =>
      (await this.visibility.visibleToUser(r.userId, events)).filter((e) => !hiddenByIgnore(ignored, e.pdu));
    const visibleBefore = await shown(before);
    const visibleAfter = await shown(after);
    // One bundling pass for the whole answer: its queries cover every event at once.
    const [first, ...around] = await this.bundles.clientEvents(r, [event, ...visibleBefore, ...visibleAfter]);
    return {
      event: first,
      events_before: around.slice(0, visibleBefore.length),
      events_after: around.slice(visibleBefore.length),
      start: formatPaginationToken(before.at(-1)?.streamPos ?? event.streamPos),
      end: formatPaginationToken(last.streamPos + 1n),
      // client-server-api /context: "The state of the room at the last event returned".
      state: (await this.reader.stateAt(roomId, last.streamPos)).map((e) => toClientEvent(e)),
    };
  }

  /** lazy_load_members: the member events of the chunk's senders, as the view shows them. */
  private async lazyMembers(roomId: string, view: RoomView, filter: RoomEventFilter | undefined, chunk: StoredEvent[]) {
    if (!filter?.lazy_load_members) return [];
    const senders = new Set(chunk.map((e) => e.pdu.sender));
    const members = await stateInView(this.reader, roomId, view, 'm.room.member');
    return members.filter((e) => senders.has(e.pdu.state_key!)).map((e) => toClientEvent(e));
  }

  /** client-server-api "Ignoring Users": pages leave out what ignored users sent, as /sync does. */
  private async ignoredBy(userId: string): Promise<ReadonlySet<string>> {
    return ignoredUsersOf(await this.sync.accountData.get(userId, '', 'm.ignored_user_list'));
  }

  private requireView(roomId: string, userId: string): Promise<RoomView> {
    return requireRoomView(this.reader, this.visibility, roomId, userId);
  }
}

function minPosition(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  return b === undefined || a < b ? a : b;
}

function parseRoomEventFilter(filter: string | undefined): RoomEventFilter | undefined {
  if (!filter) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(filter);
  } catch {
    throw Errors.notJson('filter is not valid JSON');
  }
  const result = roomEventFilterSchema.safeParse(raw);
  if (!result.success) throw Errors.badJson('Invalid filter');
  return result.data;
}
