import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, Requester, Tenant } from '@lattice/http';
import { RoomReader, toClientEvent, type StoredEvent } from '@lattice/room-server';
import { DATABASE, type Database } from '@lattice/storage';
import { roomEventMatches } from '../filters/event-filter';
import { roomEventFilterSchema, type RoomEventFilter } from '../filters/filter-schema';
import { formatPaginationToken, parsePaginationToken } from '../pagination-token';
import { HistoryBackfill } from './history-backfill';

const MAX_LIMIT = 1_000;
/** Backfill requests one page may make before answering with what it has. */
const MAX_BACKFILL_ROUNDS = 3;

/** Timeline pagination: /messages and /context (client-server-api "Getting events for a room"). */
@Controller('_matrix/client/v3/rooms/:roomId')
export class MessagesController {
  private readonly reader: RoomReader;

  constructor(
    @Inject(DATABASE) db: Database,
    private readonly history: HistoryBackfill,
  ) {
    this.reader = new RoomReader(db.prisma);
  }

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
    if (dir !== 'b' && dir !== 'f') throw Errors.invalidParam('dir must be "b" or "f"');
    await this.requireMember(roomId, r.userId);
    const eventFilter = parseRoomEventFilter(filter);
    const count = Math.min(Number(limit ?? 10) || 10, MAX_LIMIT);
    const backwards = dir === 'b';
    const position = from ? parsePaginationToken(from) : backwards ? (await this.reader.maxStreamPos()) + 1n : 0n;
    const bound = to ? parsePaginationToken(to) : undefined;
    const page = () => this.reader.timeline(roomId, backwards ? { before: position, after: bound === undefined ? undefined : bound - 1n, limit: count, backwards } : { after: position - 1n, before: bound, limit: count, backwards });
    let events = await page();
    // Paging back past the earliest event here: the history before it is fetched from the room's other servers.
    for (let round = 0; backwards && bound === undefined && events.length < count && round < MAX_BACKFILL_ROUNDS; round++) {
      if (!(await this.history.backfill(tenant.serverName, roomId, count - events.length))) break;
      events = await page();
    }
    const chunk = events.filter((e) => roomEventMatches(eventFilter, { type: e.pdu.type, sender: e.pdu.sender, room_id: roomId, content: e.pdu.content }));
    const last = events.at(-1);
    return {
      start: from ?? formatPaginationToken(position),
      ...(last && events.length === count ? { end: formatPaginationToken(backwards ? last.streamPos : last.streamPos + 1n) } : {}),
      chunk: chunk.map((e) => toClientEvent(e, r)),
      state: await this.lazyMembers(roomId, eventFilter, chunk),
    };
  }

  @Get('context/:eventId')
  async context(@Auth() r: Requester, @Param('roomId') roomId: string, @Param('eventId') eventId: string, @Query('limit') limit?: string) {
    await this.requireMember(roomId, r.userId);
    const event = await this.reader.event(eventId);
    if (!event || event.roomId !== roomId) throw Errors.notFound('Event not found');
    const half = Math.ceil(Math.min(Number(limit ?? 10) || 10, MAX_LIMIT) / 2);
    const before = await this.reader.timeline(roomId, { before: event.streamPos, limit: half, backwards: true });
    const after = await this.reader.timeline(roomId, { after: event.streamPos, limit: half, backwards: false });
    return {
      event: toClientEvent(event, r),
      events_before: before.map((e) => toClientEvent(e, r)),
      events_after: after.map((e) => toClientEvent(e, r)),
      start: formatPaginationToken(before.at(-1)?.streamPos ?? event.streamPos),
      end: formatPaginationToken((after.at(-1)?.streamPos ?? event.streamPos) + 1n),
      state: (await this.reader.currentState(roomId)).map((e) => toClientEvent(e)),
    };
  }

  /** lazy_load_members: the member events of the chunk's senders. */
  private async lazyMembers(roomId: string, filter: RoomEventFilter | undefined, chunk: StoredEvent[]) {
    if (!filter?.lazy_load_members) return [];
    const senders = new Set(chunk.map((e) => e.pdu.sender));
    return (await this.reader.currentState(roomId, 'm.room.member')).filter((e) => senders.has(e.pdu.state_key!)).map((e) => toClientEvent(e));
  }

  private async requireMember(roomId: string, userId: string): Promise<void> {
    if (!(await this.reader.roomVersion(roomId))) throw Errors.notFound('Room not found');
    const membership = await this.reader.membership(roomId, userId);
    if (membership !== 'join' && membership !== 'leave' && membership !== 'ban') throw Errors.forbidden('You are not a member of this room');
  }
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
