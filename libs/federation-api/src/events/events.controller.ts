import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Errors, Public, Tenant } from '@lattice/http';
import {
  EventVisibility,
  redactedEvent,
  FEDERATION_ROOM_READS,
  type FederationRoomReads,
  type StoredEvent,
} from '@lattice/rooms';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';
import { ServerAclGuard } from '../auth/server-acl.guard';

/** The most events one backfill or get_missing_events answer carries. */
const MAX_EVENTS = 100;

/**
 * Reading a room's events and state from this server (server-server-api
 * "Retrieving events", "Backfilling and retrieving missing events"). Only
 * servers that had a member in the room may read it, and each event is
 * given whole only if one of the asking server's users could see it
 * (history visibility), redacted otherwise so the DAG stays connected.
 */
@Controller('_matrix/federation/v1')
@UseGuards(FederationAuthGuard)
export class EventsController {
  constructor(
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
    private readonly visibility: EventVisibility,
  ) {}

  @Get('event/:eventId')
  @Public()
  async event(@Tenant() t: TenantConfig, @Origin() origin: string, @Param('eventId') eventId: string) {
    const event = await this.reader.event(eventId);
    if (!event) throw Errors.notFound(`Event ${eventId} is not known here`);
    await this.mayRead(event.roomId, origin);
    const [given] = await this.visibility.forServer(origin, event.roomId, [event]);
    return this.transaction(t, [given.pdu]);
  }

  @Get('state/:roomId')
  @UseGuards(ServerAclGuard)
  @Public()
  async state(@Origin() origin: string, @Param('roomId') roomId: string, @Query('event_id') eventId?: string) {
    const { state, chain } = await this.stateAt(origin, roomId, eventId);
    return {
      pdus: (await this.asVisibleAs(origin, roomId, eventId!, state)).map((e) => e.pdu),
      auth_chain: (await this.asVisibleAs(origin, roomId, eventId!, chain)).map((e) => e.pdu),
    };
  }

  @Get('state_ids/:roomId')
  @UseGuards(ServerAclGuard)
  @Public()
  async stateIds(@Origin() origin: string, @Param('roomId') roomId: string, @Query('event_id') eventId?: string) {
    const { state, chain } = await this.stateAt(origin, roomId, eventId);
    return { pdu_ids: state.map((e) => e.eventId), auth_chain_ids: chain.map((e) => e.eventId) };
  }

  @Get('event_auth/:roomId/:eventId')
  @UseGuards(ServerAclGuard)
  @Public()
  async eventAuth(@Origin() origin: string, @Param('roomId') roomId: string, @Param('eventId') eventId: string) {
    await this.mayRead(roomId, origin);
    const chain = await this.reader.authChain([eventId]);
    return { auth_chain: (await this.asVisibleAs(origin, roomId, eventId, chain)).map((e) => e.pdu) };
  }

  @Get('backfill/:roomId')
  @UseGuards(ServerAclGuard)
  @Public()
  async backfill(
    @Tenant() t: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Query('v') v?: string | string[],
    @Query('limit') limit?: string,
  ) {
    await this.mayRead(roomId, origin);
    const from = v === undefined ? [] : Array.isArray(v) ? v : [v];
    if (from.length === 0) throw Errors.missingParam('v (the events to backfill from) is required');
    const events = await this.reader.walkBack(roomId, from, Math.min(Number(limit) || 10, MAX_EVENTS), {
      includeStart: true,
    });
    return this.transaction(
      t,
      (await this.visibility.forServer(origin, roomId, events)).map((e) => e.pdu),
    );
  }

  @Post('get_missing_events/:roomId')
  @UseGuards(ServerAclGuard)
  @Public()
  @HttpCode(200)
  async missingEvents(@Origin() origin: string, @Param('roomId') roomId: string, @Body() body: unknown) {
    await this.mayRead(roomId, origin);
    const request = body as { earliest_events?: unknown; latest_events?: unknown; limit?: unknown };
    // Strings without U+0000, which PostgreSQL text cannot hold: the IDs go into a query.
    const eventIds = (value: unknown): value is string[] =>
      Array.isArray(value) && value.every((id) => typeof id === 'string' && !id.includes('\u0000'));
    if (!eventIds(request?.latest_events) || !eventIds(request.earliest_events))
      throw Errors.badJson('earliest_events and latest_events must be arrays of event IDs');
    const limit = Math.min(typeof request.limit === 'number' ? request.limit : 10, MAX_EVENTS);
    const events = await this.reader.walkBack(roomId, request.latest_events, limit, {
      includeStart: false,
      exclude: new Set(request.earliest_events),
    });
    return { events: (await this.visibility.forServer(origin, roomId, events.reverse())).map((e) => e.pdu) };
  }

  @Get('timestamp_to_event/:roomId')
  @Public()
  async timestampToEvent(
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Query('ts') ts?: string,
    @Query('dir') dir?: string,
  ) {
    await this.mayRead(roomId, origin);
    if (ts === undefined || !/^\d+$/.test(ts)) throw Errors.invalidParam('ts must be a timestamp in milliseconds');
    if (dir !== 'f' && dir !== 'b') throw Errors.invalidParam('dir must be f or b');
    const near = await this.reader.eventNearTimestamp(roomId, Number(ts), dir);
    const found = near && (await this.isVisible(origin, roomId, near.eventId)) ? near : undefined;
    if (!found) throw Errors.notFound(`No event ${dir === 'f' ? 'at or after' : 'at or before'} ${ts} in ${roomId}`);
    return { event_id: found.eventId, origin_server_ts: found.originServerTs };
  }

  /** The state before an event and its auth chain (/state and /state_ids). */
  private async stateAt(origin: string, roomId: string, eventId?: string) {
    if (!eventId) throw Errors.missingParam('event_id is required');
    await this.mayRead(roomId, origin);
    // Joined with partial state: what we hold lacks members, and would be taken for the whole.
    if (await this.reader.isPartialState(roomId))
      throw Errors.notFound(`This server is still fetching the state of ${roomId}; ask another server`);
    const state = await this.reader.stateBefore(eventId);
    if (!state) throw Errors.notFound(`No state is known here at ${eventId}`);
    return { state, chain: await this.reader.authChain(state.map((e) => e.eventId)) };
  }

  /** History is shared only with servers in the room now, or that had a member in it once (what they may see of it is decided per event). */
  private async mayRead(roomId: string, origin: string): Promise<void> {
    if ((await this.reader.joinedServers(roomId)).includes(origin)) return;
    if (!(await this.visibility.serverEverInRoom(roomId, origin)))
      throw Errors.forbidden(`${origin} has no member in ${roomId}`);
  }

  private async isVisible(origin: string, roomId: string, eventId: string): Promise<boolean> {
    const event = await this.reader.event(eventId);
    return event !== undefined && event.roomId === roomId && (await this.visibility.serverMaySee(origin, event));
  }

  /**
   * The state and auth chain at an event are as visible as the event: whole
   * if the server may see it, else redacted, which keeps what auth checks
   * and state resolution read (membership, join rules, power levels) and
   * drops the rest. Judging each of thousands of state events on its own
   * would cost a snapshot read apiece for no gain.
   */
  private async asVisibleAs(
    origin: string,
    roomId: string,
    eventId: string,
    events: StoredEvent[],
  ): Promise<StoredEvent[]> {
    return (await this.isVisible(origin, roomId, eventId)) ? events : events.map(redactedEvent);
  }

  private transaction(t: TenantConfig, pdus: unknown[]) {
    return { origin: t.serverName, origin_server_ts: Date.now(), pdus };
  }
}
