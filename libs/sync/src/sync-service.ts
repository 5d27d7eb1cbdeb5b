import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DeviceKeyStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig } from '@lattice/config';
import type { PresenceState } from '@lattice/contracts';
import { strippedState, type JsonObject } from '@lattice/protocol';
import {
  BundledAggregations,
  EventVisibility,
  SYNC_ROOM_READS,
  type SyncRoomReads,
  toClientEvent,
  type StoredEvent,
} from '@lattice/rooms';
import { effectiveRules } from '@lattice/push-rules';
import {
  mapConcurrently,
  PRISMA,
  POSITION_CACHE,
  reconcilePositions,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { syncWaiters, syncWakeupLatency, untraced } from '@lattice/telemetry';
import {
  AccountDataStore,
  clampPosition,
  DeviceListReader,
  eventMatches,
  formatPaginationToken,
  formatSyncToken,
  hasAdvanced,
  ReceiptStore,
  roomEventMatches,
  roomIncluded,
  ToDeviceInbox,
  ZERO_POSITION,
  type AccountDataEntry,
  type MembershipChange,
  type SyncFilter,
  type SyncPosition,
} from '@lattice/streams';
import { AnswerReads, type RoomSummary } from './answer-reads';
import { SyncNotifier } from './notifier';
import { SharedReads } from './shared-reads';
import { TickBatch } from './tick-batch';
import { WatchedRooms } from './watched-rooms';
import { AnswerPacing } from './answer-pacing';
import { currentPosition } from './positions/current-position';
import { PresenceTracker } from './presence/presence-tracker';
import { TypingStore } from './streams/typing-store';
import { PushEvaluation } from './streams/push-evaluation';
import {
  changesState,
  heardTimeline,
  latestGaps,
  movesMembers,
  RecentRoomEvents,
  roomsOf,
  type RecentRoomEvent,
} from './streams/recent-room-events';
import { unreadSection } from './streams/unread-counts';
import { inviteFromIgnored } from './streams/ignored-users';
import { shownInTimeline } from './streams/timeline-shown';
import { IgnoredUsersCache } from './streams/ignored-users-cache';
import type { JoinedRoom, LeftRoom, SyncResponse, SyncRooms } from './sync-response';

export interface SyncRequest {
  userId: string;
  deviceId: string;
  since?: SyncPosition;
  filter?: SyncFilter;
  fullState: boolean;
  timeoutMs: number;
  /** client-server-api /sync `set_presence`; omitted means online. */
  setPresence?: PresenceState;
  /** Aborts when the client goes away: the long-poll then stops waiting. */
  signal?: AbortSignal;
}

const DEFAULT_TIMELINE_LIMIT = 10;
/** Rooms whose timelines one read fetches, for rooms new to an answer (all of them on an initial sync). */
const TIMELINES_PER_READ = 500;
/** Chunks of TIMELINES_PER_READ rooms read at once (see freshRooms). */
const CHUNKS_AT_ONCE = 2;
/** Rooms of one answer read at once: a user in thousands of rooms waits for their reads side by side, not one after another. */
const ROOMS_AT_ONCE = 4;
/** Long-polls re-check at least this often, so a lost wake-up only delays an answer. */
const RECHECK_MS = 5_000;

/**
 * /sync: what changed for a user between two stream positions, read from
 * the one event store; long-polls wait on the notifier, which the output
 * streams feed.
 */
@Injectable()
export class SyncService implements OnModuleInit, OnModuleDestroy {
  /** The stores and the notifier below are shared with sliding sync (sliding/), which serves the same streams in another shape. */
  private readonly logger = new Logger(SyncService.name);
  private removeWaiterGauge?: () => void;
  /** Reads that do not depend on the user, shared by the long-polls the same event wakes. */
  private readonly shared = new SharedReads();
  /**
   * One read of the stream positions for every long-poll asking in the same turn (all those one event woke): the
   * read starts after each of them asked, so none gets a position from before its wake-up. Callers do not change it.
   */
  private readonly currentPositions = new TickBatch<void, SyncPosition>(async (asks) => {
    const position = await currentPosition(this.db, this.positions, this.typing);
    return asks.map(() => position);
  });
  /** Each user's joined and invited rooms as their last answer read them: what their next long-poll listens to. */
  private readonly watched = new WatchedRooms();
  private readonly pacing: AnswerPacing;
  private expiry: NodeJS.Timeout | undefined;
  /** Aborted at shutdown so long-polls answer at once instead of holding the server open. */
  readonly shuttingDown = new AbortController();

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    private readonly tenants: TenantDirectory,
    @Inject(SYNC_ROOM_READS) readonly reader: SyncRoomReads,
    readonly notifier: SyncNotifier,
    readonly typing: TypingStore,
    readonly accountData: AccountDataStore,
    readonly ignoredUsers: IgnoredUsersCache,
    readonly receipts: ReceiptStore,
    readonly presence: PresenceTracker,
    readonly deviceKeys: DeviceKeyStore,
    readonly deviceLists: DeviceListReader,
    readonly toDevice: ToDeviceInbox,
    readonly visibility: EventVisibility,
    readonly bundles: BundledAggregations,
    readonly pushEvaluation: PushEvaluation,
    private readonly answers: AnswerReads,
    readonly recent: RecentRoomEvents,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
  ) {
    this.pacing = new AnswerPacing(config.sync.answerIntervalMs);
  }

  onModuleInit(): void {
    this.removeWaiterGauge = syncWaiters.addSource(() => [{ value: this.notifier.waiting }]);
    this.bus.consume('output.room', (e) => {
      // Remembered before the wake-up: the long-polls it wakes read what happened from it.
      this.recent.remember(e);
      this.notifier.notify({
        roomId: e.roomId,
        userIds: [...(e.membershipOf ? [e.membershipOf] : []), ...(e.resolvedMembershipsOf ?? [])],
      });
      this.recordWakeup(e.pdu.sender, e.pdu.origin_server_ts);
    });
    this.bus.consume('output.streams', async (e) => {
      this.notifier.notify({ roomId: e.roomId, userIds: e.userIds });
      if (e.deviceListOf) await this.wakeRoomMates(e.deviceListOf);
    });
    this.bus.consume('output.roomStateCompleted', (e) => this.notifier.notify({ roomId: e.roomId }));
    this.bus.consume('output.typing', (e) => {
      this.typing.set(e.roomId, e.userId, e.typing, e.timeoutMs);
      this.notifier.notify({ roomId: e.roomId });
    });
    this.bus.consume('output.presence', (change) => this.presence.changed(change));
    this.presence.start();
    this.expiry = setInterval(() => {
      for (const roomId of this.typing.expire()) this.notifier.notify({ roomId });
      // Repairs the position cache after a writer died between its commit and its cache update. Untraced: an idle
      // worker would otherwise send a trace of its own every second.
      untraced(() => reconcilePositions(this.db, this.positions)).catch((e: Error) =>
        this.logger.debug(`Position reconciliation failed, retried in a second: ${e.message}`),
      );
    }, 1_000);
    this.expiry.unref();
  }

  /** A user's device list changed: everyone sharing a room with them (and their own other devices) should look. */
  private async wakeRoomMates(userId: string): Promise<void> {
    this.notifier.notify({ userIds: [userId] });
    for (const room of await this.reader.roomsOfUser(userId, ['join'])) this.notifier.notify({ roomId: room.roomId });
  }

  /** Only our own users' events: another server's origin_server_ts says nothing about this deployment's latency. */
  private recordWakeup(sender: string, originServerTs: number): void {
    if (!this.tenants.isLocal(sender.slice(sender.indexOf(':') + 1))) return;
    const seconds = (Date.now() - originServerTs) / 1000;
    if (seconds >= 0 && seconds < 3600) syncWakeupLatency.observe(seconds);
  }

  /**
   * Rooms with an event in (after, upTo]: from `heard` (every event of the range, RecentRoomEvents.between) when
   * the worker heard them all, else one read shared by the answers asking.
   */
  roomsWithEvents(after: bigint, upTo: bigint, heard: RecentRoomEvent[] | undefined): Promise<Set<string>> {
    return heard
      ? Promise.resolve(roomsOf(heard))
      : this.shared.share(`rooms ${after} ${upTo}`, () => this.reader.roomsWithEvents(after, upTo));
  }

  /** Membership events in (after, upTo] of the viewer's rooms: none when `heard` has none that may move one. */
  membershipChanges(
    viewer: string,
    after: bigint,
    upTo: bigint,
    heard: RecentRoomEvent[] | undefined,
  ): Promise<MembershipChange[]> {
    return heard && !movesMembers(heard) ? Promise.resolve([]) : this.answers.membershipChanges(viewer, after, upTo);
  }

  /** Aborts at shutdown: other long-polls on the sync workers (GET /events) stop waiting with /sync's. */
  get shutdownSignal(): AbortSignal {
    return this.shuttingDown.signal;
  }

  onModuleDestroy(): void {
    this.removeWaiterGauge?.();
    clearInterval(this.expiry);
    this.presence.stop();
    this.shuttingDown.abort();
  }

  async sync(request: SyncRequest): Promise<SyncResponse> {
    const deadline = Date.now() + request.timeoutMs;
    await this.presence.syncing(request.userId, request.setPresence ?? 'online');
    // An initial sync answers at once, never waiting: it has no rooms to watch.
    const rooms =
      request.since === undefined
        ? []
        : (this.watched.get(request.userId, request.since.events) ??
          (await this.reader.roomsOfUser(request.userId, ['join', 'invite'])).map((r) => r.roomId));
    const waiter = this.notifier.register(request.userId, rooms);
    const stop = request.signal
      ? AbortSignal.any([request.signal, this.shuttingDown.signal])
      : this.shuttingDown.signal;
    const device = `${request.userId} ${request.deviceId}`;
    let paced = false;
    try {
      for (;;) {
        const current = await this.currentPositions.read();
        const since = request.since && clampPosition(request.since, current);
        const left = stop.aborted ? 0 : deadline - Date.now();
        if (since && !request.fullState && !hasAdvanced(since, current) && left > 0) {
          await waiter.wait(Math.min(left, RECHECK_MS), stop);
          waiter.reset();
          continue;
        }
        // An answer right after the device's last waits out the interval (answer-pacing.ts), then reads the
        // positions again so the events that came meanwhile are in it; a request that may not wait never waits.
        const pause = since && !paced ? this.pacing.pauseFor(device, Date.now()) : 0;
        if (pause > 0 && left > pause) {
          paced = true;
          await new Promise((resolve) => setTimeout(resolve, pause));
          continue;
        }
        const response = await this.build(request, since, current);
        if (since && !isEmpty(response)) this.pacing.answered(device, Date.now());
        if (!since || request.fullState || left <= 0 || !isEmpty(response)) return response;
        await waiter.wait(Math.min(left, RECHECK_MS), stop);
        waiter.reset();
      }
    } finally {
      waiter.done();
    }
  }

  private async build(
    request: SyncRequest,
    since: SyncPosition | undefined,
    current: SyncPosition,
  ): Promise<SyncResponse> {
    const from = since ?? ZERO_POSITION;
    const filter = request.filter;
    const join: SyncRooms['join'] = {};
    const invite: SyncRooms['invite'] = {};
    const leave: SyncRooms['leave'] = {};
    const knock: SyncRooms['knock'] = {};
    // One read at a time per answer: under fan-out twenty answers are built at once, and reads side by side would
    // only queue for the database's connections ahead of the sends.
    const memberships = await this.answers.roomsOfUser(request.userId, current.events, since === undefined);
    const accountEntries = await this.accountData.since(request.userId, from.accountData, current.accountData);
    // Read only for a room with nothing else to show (joinedRoom's last check): one with new events, receipts or
    // account data is in the answer anyway, its counts with it, so under fan-out most answers never read it.
    let countsRead: Promise<Set<string>> | undefined;
    const countsChanged = async (roomId: string): Promise<boolean> =>
      since !== undefined &&
      (
        await (countsRead ??= this.answers.roomsWithNewNotifications(
          request.userId,
          from.notifications,
          current.notifications,
        ))
      ).has(roomId);
    // What happened in the rooms since the token, when this worker heard all of it: then which rooms have events,
    // gaps, state changes or membership moves is known without asking the store.
    const heard = since ? this.recent.between(from.events, current.events) : undefined;
    // An incremental sync reads the timelines of the rooms with new events only: one read, the same for every user.
    const withEvents =
      since && !request.fullState ? await this.roomsWithEvents(from.events, current.events, heard) : undefined;
    this.watched.set(
      request.userId,
      memberships.filter((m) => m.membership === 'join' || m.membership === 'invite').map((m) => m.roomId),
      current.events,
    );
    const accountData = withPushRules(request.userId, accountEntries, since === undefined);
    const ignored = await this.ignoredUsers.ignoredBy(
      request.userId,
      accountData,
      from.accountData,
      current.accountData,
    );
    const listsLeftRooms =
      !since &&
      filter?.room?.include_leave &&
      memberships.some((m) => m.membership === 'leave' || m.membership === 'ban');
    const forgotten = new Set(
      listsLeftRooms
        ? (await this.db.forgottenRoom.findMany({ where: { userId: request.userId } })).map((f) => f.roomId)
        : [],
    );
    // The same for every user woken by one event, so read once for all of them.
    const gaps = since
      ? heard
        ? latestGaps(heard)
        : await this.shared.share(`gaps ${from.events} ${current.events}`, () =>
            this.reader.latestGaps(from.events, current.events),
          )
      : new Map<string, bigint>();

    // Receipts of every joined room in two reads, and the timelines of rooms new to the answer (joined since the token,
    // or all on an initial sync) in reads of many rooms each, not one read per room.
    const joined = memberships.filter((m) => m.membership === 'join' && roomIncluded(filter, m.roomId));
    const fresh = joined
      .filter((m) => !since || (m.streamPos > from.events && m.streamPos <= current.events))
      .map((m) => m.roomId);
    const limit = filter?.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
    const receiptsSince = since
      ? await this.receipts.ephemeralOfRooms(
          joined.map((m) => m.roomId),
          request.userId,
          from.receipts,
          current.receipts,
        )
      : new Map<string, Record<string, unknown>>();
    // An initial sync's summaries (every joined room's) are read with its rooms, not after them.
    const [receiptsAll, { timelines, states, summaries }] = await Promise.all([
      this.receipts.ephemeralOfRooms(fresh, request.userId, 0n, current.receipts),
      this.freshRooms(request, fresh, current.events, limit, since === undefined),
    ]);

    const timelinesToFill: TimelineToFill[] = [];
    await mapConcurrently(memberships, ROOMS_AT_ONCE, async (room) => {
      if (!roomIncluded(filter, room.roomId)) return;
      const changedMembership = room.streamPos > from.events && room.streamPos <= current.events;
      if (room.membership === 'join') {
        const roomSince = since && !changedMembership ? from : undefined;
        const quiet = roomSince !== undefined && withEvents !== undefined && !withEvents.has(room.roomId);
        const receipts = (roomSince ? receiptsSince : receiptsAll).get(room.roomId);
        const fetched = roomSince ? undefined : timelines.get(room.roomId);
        const state = roomSince ? undefined : states.get(room.roomId);
        const built = await this.joinedRoom(
          request,
          room.roomId,
          room.streamPos,
          roomSince,
          roomSince ? gaps.get(room.roomId) : undefined,
          current,
          {
            accountData,
            ignored,
            receipts,
            fetched,
            state,
            countsChanged,
            quiet,
            heard: roomSince ? heard : undefined,
          },
        );
        if (built) {
          join[room.roomId] = built.section;
          timelinesToFill.push(built);
        }
      } else if (room.membership === 'invite' && (changedMembership || !since)) {
        const inviteState =
          (await this.reader.remoteInviteState(room.roomId, request.userId)) ?? (await this.strippedState(room.roomId));
        if (!inviteFromIgnored(ignored, inviteState, request.userId))
          invite[room.roomId] = { invite_state: { events: inviteState } };
      } else if (room.membership === 'knock' && (changedMembership || !since)) {
        knock[room.roomId] = {
          knock_state: {
            events:
              (await this.reader.remoteKnockState(room.roomId, request.userId)) ??
              (await this.knockState(room.roomId, request.userId)),
          },
        };
      } else if ((room.membership === 'leave' || room.membership === 'ban') && since && changedMembership) {
        // Even forgotten: the leave in this window is how the user's other devices learn they left (Synapse and Complement's
        // TestRoomForget agree; the spec only says forgotten history cannot be retrieved, which later syncs respect).
        leave[room.roomId] = await this.leftRoom(request, room.roomId, since, room.streamPos, ignored);
      } else if (
        (room.membership === 'leave' || room.membership === 'ban') &&
        !since &&
        filter?.room?.include_leave &&
        !forgotten.has(room.roomId)
      ) {
        leave[room.roomId] = await this.leftRoom(request, room.roomId, undefined, room.streamPos, ignored);
      }
    });
    await this.fillTimelines(request, timelinesToFill);

    // The push service evaluates the timelines' events while the rest of the answer is read: the unread counts, read
    // once it has, then count them (see addUnreadCounts).
    const [, rest] = await Promise.all([
      this.pushEvaluation.settled(eventsFromOthers(request.userId, join), request.signal),
      this.beyondRooms(request, join, since, from, current, summaries, heard),
    ]);
    const everyJoinedRoom = memberships.every((m) => m.membership !== 'join' || m.roomId in join);
    const notifications = await this.addUnreadCounts(request, join, current.notifications, everyJoinedRoom);
    return {
      next_batch: formatSyncToken({ ...current, toDevice: rest.toDevice.next, notifications }),
      rooms: { join, invite, leave, knock },
      account_data: {
        events: accountData
          .filter((a) => a.roomId === '' && eventMatches(filter?.account_data, { type: a.type }))
          .map((a) => ({ type: a.type, content: a.content })),
      },
      presence: { events: rest.presence },
      to_device: { events: rest.toDevice.events },
      device_lists: rest.deviceLists,
      device_one_time_keys_count: rest.keys.oneTimeKeyCounts,
      device_unused_fallback_key_types: rest.keys.unusedFallbackKeyTypes,
    };
  }

  /** The joined rooms' summaries, and the sections of an answer beside its rooms: keys, to-device, device lists, presence. */
  private async beyondRooms(
    request: SyncRequest,
    join: Record<string, JoinedRoom>,
    since: SyncPosition | undefined,
    from: SyncPosition,
    current: SyncPosition,
    summaries: Map<string, RoomSummary> | undefined,
    heard: RecentRoomEvent[] | undefined,
  ) {
    await this.addSummaries(request.userId, join, current.events, summaries);
    const keys = await this.answers.deviceKeyCounts(request.userId, request.deviceId);
    const toDevice = await this.toDevice.collect(request.userId, request.deviceId, since?.toDevice, current.toDevice);
    // client-server-api /sync: device_lists is only given for incremental syncs.
    // Read once for device lists and presence: who joined or left the user's rooms since the token.
    const moves = since ? await this.membershipChanges(request.userId, from.events, current.events, heard) : undefined;
    const deviceLists = since
      ? await this.deviceLists.changes(
          request.userId,
          {
            events: { after: from.events, upTo: current.events },
            deviceLists: { after: from.deviceLists, upTo: current.deviceLists },
          },
          moves,
        )
      : { changed: [], left: [] };
    const presence = await this.presence.events(
      request.userId,
      from,
      current,
      request.filter?.presence,
      moves === undefined || moves.length > 0,
    );
    return { keys, toDevice, deviceLists, presence };
  }

  /**
   * A joined room's section; `since` undefined means "from the beginning"
   * (initial sync, or joined since). `joinedAt` is the position of the
   * user's current join: events from there on are theirs to see, so only a
   * timeline reaching further back is checked event by event. `quiet`:
   * the room is known to have no event in (since, current], so its timeline
   * is not read; `heard`: every event in that range, when the worker
   * heard them all (RecentRoomEvents): the timeline is built from them when
   * it can be, and the resolved state is read only when one of them changed
   * the room's state; `receipts` are the room's, read with every other room's,
   * and `fetched` and `state`, when given, its timeline (newest first, one
   * more than the limit) and the state before it, read so too. The
   * section's timeline events are left to fillTimelines, which bundles the
   * aggregations of every room's in one read. `gap`: the
   * latest timeline gap after `since` (model TimelineGap), where an
   * incremental timeline then starts, limited, so the client pages back
   * across it rather than taking the events either side for one run (as
   * Synapse does; Complement's TestSyncTimelineGap).
   */
  private async joinedRoom(
    request: SyncRequest,
    roomId: string,
    joinedAt: bigint,
    since: SyncPosition | undefined,
    gap: bigint | undefined,
    current: SyncPosition,
    known: {
      accountData: AccountDataEntry[];
      ignored: ReadonlySet<string>;
      receipts: Record<string, unknown> | undefined;
      fetched?: StoredEvent[];
      state?: StoredEvent[];
      /** Whether the room's unread counts changed since the token (read when asked). */
      countsChanged: (roomId: string) => Promise<boolean>;
      quiet: boolean;
      heard: RecentRoomEvent[] | undefined;
    },
  ): Promise<TimelineToFill | undefined> {
    const filter = request.filter?.room;
    const limit = filter?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
    // From position 0 at most: history fetched from other servers (negative positions) is for /messages, never new in /sync.
    const after = gap === undefined ? (since?.events ?? 0n) : gap - 1n;
    const { accountData, ignored, receipts, countsChanged, quiet } = known;
    const fetched = quiet
      ? []
      : (known.fetched ??
        (known.heard && heardTimeline(known.heard, roomId, after, limit + 1)) ??
        (await this.shared.share(`timeline ${roomId} ${after} ${current.events} ${limit}`, () =>
          this.reader.timeline(roomId, { after, upTo: current.events, limit: limit + 1, backwards: true }),
        )));
    const limited = fetched.length > limit || gap !== undefined;
    const timeline = fetched.slice(0, limit).reverse();
    // From the user's current join on, every event is theirs to see, at membership join.
    const seen =
      timeline.length > 0 && timeline[0].streamPos < joinedAt
        ? await this.visibility.visibleToUser(request.userId, timeline)
        : timeline.map((e) => ({ ...e, viewerMembership: 'join' }));
    const visible = seen.filter((e) => shownInTimeline(e.pdu, roomId, ignored, filter?.timeline));

    const typing = this.typing.typingSince(roomId, since?.typing ?? 0n);
    const ephemeral: JsonObject[] = [
      ...(typing !== undefined && (since !== undefined || typing.length > 0)
        ? [{ type: 'm.typing', content: { user_ids: typing } }]
        : []),
      ...(receipts ? [{ type: 'm.receipt', content: receipts as JsonObject }] : []),
    ];
    const roomAccountData = accountData
      .filter((a) => a.roomId === roomId)
      .map((a) => ({ type: a.type, content: a.content }));
    const state =
      since === undefined || request.fullState || limited
        ? await this.stateBefore(request, roomId, timeline, since, undefined, known.state)
        : [];
    // Only an event of the timeline can bring a state change by resolution: a room without one has none.
    if (
      since !== undefined &&
      !request.fullState &&
      timeline.length > 0 &&
      (known.heard === undefined || changesState(known.heard, roomId))
    )
      state.push(...(await this.resolvedState(request, roomId, timeline, state, since, current)));
    if (
      since !== undefined &&
      !request.fullState &&
      timeline.length === 0 &&
      ephemeral.length === 0 &&
      roomAccountData.length === 0 &&
      !(await countsChanged(roomId))
    )
      return undefined;

    // prev_batch is where the client pages back from, and the `at` of /members. A timeline that starts at the room's
    // create event has nothing before it: its token is now, as Synapse gives an unlimited timeline, so /members?at= that
    // token lists the members the timeline left (Complement's TestGetRoomMembersAtPoint) rather than the nobody before
    // the room existed. Any other timeline's token is its start, so paging back reaches what came before it.
    const wholeHistory = !limited && timeline[0]?.pdu.type === 'm.room.create';
    const section: JoinedRoom = {
      timeline: {
        events: [],
        limited,
        prev_batch: formatPaginationToken(
          timeline.length > 0 && !wholeHistory ? timeline[0].streamPos : current.events + 1n,
        ),
      },
      state: { events: state.map((e) => toClientEvent(e)) },
      ephemeral: { events: ephemeral },
      account_data: { events: roomAccountData },
      summary: {},
    };
    return { section, visible };
  }

  /**
   * Fills the joined rooms' timelines: limited ones with bundled aggregations (see timelineEvents), read
   * for the events of many rooms at once, the others as they are.
   */
  private async fillTimelines(request: SyncRequest, rooms: TimelineToFill[]): Promise<void> {
    const limited = rooms.filter((r) => r.section.timeline.limited);
    for (const room of rooms)
      if (!room.section.timeline.limited)
        room.section.timeline.events = room.visible.map((e) => toClientEvent(e, request));
    for (let i = 0; i < limited.length; i += TIMELINES_PER_READ) {
      const chunk = limited.slice(i, i + TIMELINES_PER_READ);
      const events = await this.bundles.clientEvents(
        request,
        chunk.flatMap((r) => r.visible),
      );
      let at = 0;
      for (const room of chunk) {
        room.section.timeline.events = events.slice(at, at + room.visible.length);
        at += room.visible.length;
      }
    }
  }

  /**
   * The timelines (newest first, one more than the limit) of rooms new to the answer and the state before each,
   * TIMELINES_PER_READ rooms a read: a chunk's states are read while the next chunk's timelines are, so the
   * database and this process each work while the other does. With `withSummaries` (an initial sync, whose
   * rooms are all new), each chunk's room summaries are read beside its timelines.
   */
  private async freshRooms(
    request: SyncRequest,
    roomIds: string[],
    upTo: bigint,
    limit: number,
    withSummaries: boolean,
  ): Promise<{
    timelines: Map<string, StoredEvent[]>;
    states: Map<string, StoredEvent[]>;
    summaries: Map<string, RoomSummary> | undefined;
  }> {
    const timelines = new Map<string, StoredEvent[]>();
    const states = new Map<string, StoredEvent[]>();
    const summaries = withSummaries ? new Map<string, RoomSummary>() : undefined;
    const chunks = Array.from({ length: Math.ceil(roomIds.length / TIMELINES_PER_READ) }, (_, i) =>
      roomIds.slice(i * TIMELINES_PER_READ, (i + 1) * TIMELINES_PER_READ),
    );
    await mapConcurrently(chunks, CHUNKS_AT_ONCE, async (chunk) => {
      const [read, summarised] = await Promise.all([
        this.reader.latestTimelines(chunk, upTo, limit + 1),
        summaries && this.answers.roomSummaries(request.userId, chunk, upTo),
      ]);
      // Their state sections start where their timelines do.
      for (const [roomId, state] of await this.statesBefore(request, read, limit, upTo)) states.set(roomId, state);
      for (const [roomId, timeline] of read) timelines.set(roomId, timeline);
      for (const [roomId, summary] of summarised ?? []) summaries!.set(roomId, summary);
    });
    return { timelines, states, summaries };
  }

  /**
   * The state before each timeline (stateBefore's, read for many rooms at once); an empty timeline's is the state at
   * `upTo`. With lazy-loaded members, only the member events stateBefore keeps are read: the user's and the senders'.
   */
  private async statesBefore(
    request: SyncRequest,
    timelines: Map<string, StoredEvent[]>,
    limit: number,
    upTo: bigint,
  ): Promise<Map<string, StoredEvent[]>> {
    const positions = [...timelines].map(([roomId, fetched]): [string, bigint] => {
      const first = fetched[Math.min(limit, fetched.length) - 1];
      return [roomId, first ? first.streamPos - 1n : upTo];
    });
    const members = request.filter?.room?.state?.lazy_load_members
      ? new Map(
          [...timelines].map(([roomId, fetched]) => [
            roomId,
            new Set([request.userId, ...fetched.slice(0, limit).map((e) => e.pdu.sender)]),
          ]),
        )
      : undefined;
    return this.reader.statesAt(new Map(positions), members);
  }

  /**
   * Every joined room of the response gets its summary (client-server-api /sync `summary`): its
   * joined and invited member counts, always (the spec lets them be left out only when unchanged),
   * and `m.heroes` where the room has no name or canonical alias. `read`: the summaries read already, of
   * every room the answer may carry.
   */
  private async addSummaries(
    userId: string,
    join: Record<string, JoinedRoom>,
    upTo: bigint,
    read: Map<string, RoomSummary> | undefined,
  ): Promise<void> {
    const roomIds = Object.keys(join);
    if (roomIds.length === 0) return;
    for (const [roomId, { joined, invited, heroes }] of read ??
      (await this.answers.roomSummaries(userId, roomIds, upTo))) {
      if (!(roomId in join)) continue;
      join[roomId].summary = {
        ...(heroes ? { 'm.heroes': heroes.map((h) => h.user_id) } : {}),
        'm.joined_member_count': joined,
        'm.invited_member_count': invited,
      };
    }
  }

  /**
   * Every joined room of the response gets its unread counts (client-server-api "Receiving notifications"),
   * counting the events it carries. Returns the notifications position the answer covers: the counts are
   * read after waiting for the push service, so when every room whose counts changed meanwhile is in the
   * answer, the token moves past those rows and the wake-up they caused finds nothing to send again (else
   * each message would cost every member a second answer with just its counts). An answer with every room the
   * user is joined to (`everyJoinedRoom`) has them without asking: counts are a joined room's only (rows in
   * another room are an invite's, or a room's joined or left after the answer's events, which the events
   * stream brings, its counts read then).
   */
  private async addUnreadCounts(
    request: SyncRequest,
    join: Record<string, JoinedRoom>,
    notifications: bigint,
    everyJoinedRoom: boolean,
  ): Promise<bigint> {
    const roomIds = Object.keys(join);
    if (roomIds.length === 0) return notifications;
    const latest = (await this.positions.read()).notifications ?? notifications;
    const covered =
      latest > notifications &&
      (everyJoinedRoom ||
        [...(await this.answers.roomsWithNewNotifications(request.userId, notifications, latest))].every(
          (r) => r in join,
        ))
        ? latest
        : notifications;
    const counts = await this.answers.unreadCounts(request.userId, roomIds);
    const threaded = request.filter?.room?.timeline?.unread_thread_notifications === true;
    for (const roomId of roomIds)
      Object.assign(
        join[roomId],
        unreadSection(
          counts.filter((c) => c.roomId === roomId),
          threaded,
        ),
      );
    return covered;
  }

  /**
   * The state section: the room's state at the start of the timeline (with
   * none, at `upTo`, or now), restricted to what changed since `since` on an
   * incremental limited sync, and to the timeline's senders when members are
   * lazy-loaded.
   */
  private async stateBefore(
    request: SyncRequest,
    roomId: string,
    timeline: StoredEvent[],
    since: SyncPosition | undefined,
    upTo?: bigint,
    known?: StoredEvent[],
  ): Promise<StoredEvent[]> {
    // client-server-api /sync: `state` is the state up to the start of the timeline, not after it.
    const at = timeline.length ? timeline[0].streamPos - 1n : upTo;
    let state =
      known ?? (at === undefined ? await this.reader.currentState(roomId) : await this.reader.stateAt(roomId, at));
    if (since !== undefined && !request.fullState) state = state.filter((e) => e.streamPos > since.events);
    const stateFilter = request.filter?.room?.state;
    if (stateFilter?.lazy_load_members) {
      const senders = new Set([request.userId, ...timeline.map((e) => e.pdu.sender)]);
      state = state.filter((e) => e.pdu.type !== 'm.room.member' || senders.has(e.pdu.state_key!));
    }
    return state.filter((e) =>
      roomEventMatches(stateFilter, { type: e.pdu.type, sender: e.pdu.sender, room_id: roomId }),
    );
  }

  /**
   * State that changed since `since` without an event of the timeline
   * saying so: a fork merged and state resolution kept an older event (or
   * one from the other branch). Clients learn of it through the state
   * section, as server-server-api "Soft failure" says they should.
   */
  private async resolvedState(
    request: SyncRequest,
    roomId: string,
    timeline: StoredEvent[],
    state: StoredEvent[],
    since: SyncPosition,
    current: SyncPosition,
  ): Promise<StoredEvent[]> {
    const shown = new Set([...timeline, ...state].map((e) => e.eventId));
    const changed = await this.shared.share(`state ${roomId} ${since.events} ${current.events}`, () =>
      this.reader.stateChangedBetween(roomId, since.events, current.events),
    );
    return changed.filter(
      (e) =>
        !shown.has(e.eventId) &&
        roomEventMatches(request.filter?.room?.state, { type: e.pdu.type, sender: e.pdu.sender, room_id: roomId }),
    );
  }

  /**
   * A left room's section: as a joined room's, but its timeline and state
   * end at the leave (client-server-api "Room History Visibility": no
   * events received after they left), every event checked.
   */
  private async leftRoom(
    request: SyncRequest,
    roomId: string,
    since: SyncPosition | undefined,
    leftAt: bigint,
    ignored: ReadonlySet<string>,
  ): Promise<LeftRoom> {
    const filter = request.filter?.room;
    const outOfBand = await this.reader.outOfBandLeave(roomId, request.userId);
    // An invite this server was never in the room for ended with a leave only this user's servers know of: that is all there is to show.
    if (outOfBand?.streamPos === leftAt)
      return {
        timeline: {
          events: [toClientEvent(outOfBand, request)],
          limited: false,
          prev_batch: formatPaginationToken(leftAt),
        },
        state: { events: [] },
        account_data: { events: [] },
      };
    const limit = filter?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
    const fetched = await this.reader.timeline(roomId, {
      after: since?.events ?? 0n,
      upTo: leftAt,
      limit: limit + 1,
      backwards: true,
    });
    const limited = fetched.length > limit;
    const timeline = fetched.slice(0, limit).reverse();
    const visible = (await this.visibility.visibleToUser(request.userId, timeline)).filter((e) =>
      shownInTimeline(e.pdu, roomId, ignored, filter?.timeline),
    );
    const state =
      since === undefined || request.fullState || limited
        ? await this.stateBefore(request, roomId, timeline, since, leftAt)
        : [];
    return {
      timeline: {
        events: await this.timelineEvents(request, visible, limited),
        limited,
        prev_batch: formatPaginationToken(timeline[0]?.streamPos ?? leftAt + 1n),
      },
      state: { events: state.map((e) => toClientEvent(e)) },
      account_data: { events: [] },
    };
  }

  /**
   * A timeline's events; a limited one (the client has a gap, and will not
   * see the children it skipped) with bundled aggregations, as
   * client-server-api "Aggregations of child events" asks of /sync.
   */
  private async timelineEvents(request: SyncRequest, events: StoredEvent[], limited: boolean): Promise<JsonObject[]> {
    return limited ? this.bundles.clientEvents(request, events) : events.map((e) => toClientEvent(e, request));
  }

  private async strippedState(roomId: string): Promise<JsonObject[]> {
    return strippedState((await this.reader.currentState(roomId)).map((e) => e.pdu)) as unknown as JsonObject[];
  }

  /** A knock on a room of this server: the room's stripped state and the user's own knock (client-server-api "Knocking on rooms"). */
  private async knockState(roomId: string, userId: string): Promise<JsonObject[]> {
    const state = (await this.reader.currentState(roomId)).map((e) => e.pdu);
    const own = state
      .filter((e) => e.type === 'm.room.member' && e.state_key === userId)
      .map((e) => ({ type: e.type, state_key: e.state_key!, sender: e.sender, content: e.content }));
    return [...strippedState(state), ...own] as unknown as JsonObject[];
  }
}

/**
 * m.push_rules as the user's current rules (client-server-api "Push Rules:
 * Events"): stored rules gain the defaults added since they were written,
 * and an initial sync of a user who never changed a rule gets the defaults.
 */
function withPushRules(userId: string, entries: AccountDataEntry[], initial: boolean): AccountDataEntry[] {
  const isRules = (a: AccountDataEntry) => a.roomId === '' && a.type === 'm.push_rules';
  const updated = entries.map((a) =>
    isRules(a) ? { ...a, content: effectiveRules(a.content, userId) as unknown as JsonObject } : a,
  );
  if (initial && !entries.some(isRules))
    updated.push({
      roomId: '',
      type: 'm.push_rules',
      content: effectiveRules(undefined, userId) as unknown as JsonObject,
    });
  return updated;
}

/** A joined room's section whose timeline events are still to be made from its visible events. */
interface TimelineToFill {
  section: JoinedRoom;
  visible: StoredEvent[];
}

/** The events of the answer's timelines that others sent: those the push service evaluates for the user. */
function eventsFromOthers(userId: string, join: Record<string, JoinedRoom>): string[] {
  return Object.values(join).flatMap((room) =>
    room.timeline.events.filter((e) => e.sender !== userId).map((e) => e.event_id as string),
  );
}

function isEmpty(response: SyncResponse): boolean {
  const { rooms, device_lists: deviceLists } = response;
  return (
    Object.keys(rooms.join).length === 0 &&
    Object.keys(rooms.invite).length === 0 &&
    Object.keys(rooms.leave).length === 0 &&
    Object.keys(rooms.knock).length === 0 &&
    response.account_data.events.length === 0 &&
    response.to_device.events.length === 0 &&
    deviceLists.changed.length === 0 &&
    deviceLists.left.length === 0 &&
    response.presence.events.length === 0
  );
}
