import { Inject, Injectable } from '@nestjs/common';
import type { PresenceState } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';
import { toClientEvent, type StoredEvent } from '@lattice/rooms';
import { PRISMA, POSITION_CACHE, UnreadCounts, type PrismaClient, type PositionCache } from '@lattice/storage';
import { currentPosition } from '../positions/current-position';
import { clampPosition, formatSyncToken, parseSyncToken, type SyncPosition } from '@lattice/streams';
import { SyncService } from '../sync-service';
import type { ConnectionState, SentRoom } from './connection-state';
import { ConnectionStore, type ConnectionKey } from './connection-store';
import { changesState, type RecentRoomEvent } from '../streams/recent-room-events';
import { DirectRoomsCache } from './direct-rooms-cache';
import { MembershipCache } from './membership-cache';
import { selectRooms, type ListedRoom } from './room-list';
import { combineRoomConfigs, stateSelector, type RoomConfig } from './room-config';
import { SlidingExtensions } from './sliding-extensions';
import type { SlidingSyncBody } from './sliding-request';
import {
  JOINED_OR_PAST,
  sentWhole,
  SlidingRoomBuilder,
  type BuiltRoom,
  type RoomToSend,
  type Viewer,
} from './sliding-room-builder';
import { BUMP_EVENT_TYPES, SlidingRoomReader, type MembershipRow } from './sliding-room-reader';

export interface SlidingSyncRequest {
  userId: string;
  deviceId: string;
  body: SlidingSyncBody;
  pos?: string;
  timeoutMs: number;
  setPresence?: PresenceState;
  signal?: AbortSignal;
}

/** The memberships whose rooms' events wake a long-poll (an invite's or a knock's room may change too). */
const WATCHED = new Set(['join', 'invite', 'knock']);

/** Long-polls re-check at least this often, as /sync's do. */
const RECHECK_MS = 5_000;

interface Built {
  response: JsonObject;
  state: ConnectionState;
  news: boolean;
}

/**
 * Simplified sliding sync (MSC4186): the user's rooms as lists the client
 * windows into, and subscribed rooms, each sent in full once per connection
 * and then as changes. The connection's memory lives in Postgres
 * (ConnectionStore); long-polls wait on /sync's notifier.
 */
@Injectable()
export class SlidingSyncService {
  constructor(
    private readonly sync: SyncService,
    private readonly connections: ConnectionStore,
    private readonly rooms: SlidingRoomReader,
    private readonly membershipCache: MembershipCache,
    private readonly directRooms: DirectRoomsCache,
    private readonly builder: SlidingRoomBuilder,
    private readonly extensions: SlidingExtensions,
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    private readonly unread: UnreadCounts,
  ) {}

  async handle(request: SlidingSyncRequest): Promise<JsonObject> {
    const key: ConnectionKey = {
      userId: request.userId,
      deviceId: request.deviceId,
      connId: request.body.conn_id ?? '',
    };
    // Independent reads, side by side: each round trip to the database is latency the answer waits for.
    const [continued, , watched] = await Promise.all([
      request.pos === undefined ? undefined : this.connections.continueFrom(key, request.pos),
      this.sync.presence.syncing(request.userId, request.setPresence ?? 'online'),
      this.roomsToWatch(request.userId),
    ]);
    const deadline = Date.now() + request.timeoutMs;
    const roomIds = watched.filter((r) => WATCHED.has(r.membership)).map((r) => r.roomId);
    const waiter = this.sync.notifier.register(request.userId, roomIds);
    const stop = request.signal
      ? AbortSignal.any([request.signal, this.sync.shuttingDown.signal])
      : this.sync.shuttingDown.signal;
    try {
      for (;;) {
        const current = await currentPosition(this.db, this.positions, this.sync.typing);
        const built = await this.build(request, continued?.state, current);
        const left = stop.aborted ? 0 : deadline - Date.now();
        if (!continued) return { pos: await this.connections.start(key, built.state), ...built.response };
        if (built.news) return { pos: await this.connections.advance(key, continued, built.state), ...built.response };
        if (left <= 0) {
          // Nothing new: the client keeps its `pos`, and the connection its state.
          await this.connections.touch(key, continued);
          return { pos: request.pos!, ...built.response };
        }
        await waiter.wait(Math.min(left, RECHECK_MS), stop);
        waiter.reset();
      }
    } finally {
      waiter.done();
    }
  }

  /**
   * The user's rooms, for the long-poll to wait on: from the membership cache, which the answer's room list
   * then reads again at its own position (a room joined in between is in that list; its events wake the
   * long-poll from its next request on, as with /sync).
   */
  private async roomsToWatch(userId: string): Promise<MembershipRow[]> {
    const position = await currentPosition(this.db, this.positions, this.sync.typing);
    return this.membershipCache.memberships(userId, false, position.events);
  }

  private async build(
    request: SlidingSyncRequest,
    previous: ConnectionState | undefined,
    current: SyncPosition,
  ): Promise<Built> {
    const { userId, body } = request;
    const since = previous ? clampPosition(parseSyncToken(previous.since), current) : undefined;
    const lists = body.lists ?? {};
    const filters = Object.values(lists).map((l) => l.filters ?? {});
    // What happened since the last answer, when this worker heard all of it: else the store says.
    const heard = since ? this.sync.recent.between(since.events, current.events) : undefined;
    const [memberships, accountData, tags, changed] = await Promise.all([
      this.membershipCache.memberships(
        userId,
        filters.some((f) => f.room_types !== undefined || f.not_room_types !== undefined),
        current.events,
      ),
      this.sync.accountData.since(userId, since?.accountData ?? 0n, current.accountData),
      filters.some((f) => f.tags || f.not_tags) ? this.roomTags(userId) : new Map<string, string[]>(),
      // Rooms with events since the connection's last answer; a room last sent before that is checked on its own.
      since ? this.sync.roomsWithEvents(since.events, current.events, heard) : new Set<string>(),
    ]);
    const [ignored, dms] = await Promise.all([
      this.sync.ignoredUsers.ignoredBy(userId, accountData, since?.accountData ?? 0n, current.accountData),
      this.directRooms.directRooms(userId, accountData, since?.accountData ?? 0n, current.accountData),
    ]);
    const dmChanged = accountData.some((a) => a.roomId === '' && a.type === 'm.direct');
    const forgotten = await this.forgottenRooms(userId, memberships);

    const listable = memberships.filter((m) => isListed(m, userId, previous, forgotten));
    const listed: ListedRoom[] = listable.map((m) => ({
      ...m,
      isDm: dms.has(m.roomId),
      tags: tags.get(m.roomId) ?? [],
    }));
    const spaceChildren = new Map<string, Set<string>>();
    for (const [name, list] of Object.entries(lists))
      if (list.filters?.spaces) spaceChildren.set(name, await this.rooms.spaceChildren(list.filters.spaces, userId));
    const selection = selectRooms(listed, lists, spaceChildren);

    // MSC4186 "Subscriptions": rooms the user is or was in, or is invited to or knocked on; others are ignored.
    const byId = new Map(memberships.filter((m) => !forgotten.has(m.roomId)).map((m) => [m.roomId, m]));
    const wanted = new Map<string, { config: RoomConfig; lists: string[] }>(selection.rooms);
    const subscriptions: string[] = [];
    for (const [roomId, sub] of Object.entries(body.room_subscriptions ?? {})) {
      if (!byId.has(roomId)) continue;
      subscriptions.push(roomId);
      const config: RoomConfig = {
        timelineLimit: sub.timeline_limit,
        requiredState: [stateSelector(sub.required_state)],
      };
      const known = wanted.get(roomId);
      wanted.set(
        roomId,
        known ? { config: combineRoomConfigs(known.config, config), lists: known.lists } : { config, lists: [] },
      );
    }

    const targets = [...wanted.keys()].map((id) => byId.get(id)!).filter((m) => m !== undefined);
    const quiet = new Set(
      targets.filter((m) => quietSince(previous?.rooms[m.roomId], since, changed, m.roomId)).map((m) => m.roomId),
    );
    // Rooms sent again only for a change of their DM flag still carry their bump stamp.
    const active = targets.filter((m) => m.membership === 'join' && (!quiet.has(m.roomId) || dmChanged));
    // Member counts come with a room's first answer; later ones read them when members changed (the builder).
    const fresh = active.filter((m) => sentWhole(m.membership, previous?.rooms[m.roomId]));
    const [counts, bumps, latest] = await Promise.all([
      this.rooms.memberCounts(fresh.map((m) => m.roomId)),
      this.bumpStamps(
        active.map((m) => m.roomId),
        heard,
        current.events,
      ),
      this.latestTimelines(targets, wanted, previous, current.events),
    ]);
    const viewer: Viewer = { userId, deviceId: request.deviceId, ignored };
    const sentRooms: Record<string, SentRoom> = { ...(previous?.rooms ?? {}) };
    const rooms: Record<string, JsonObject> = {};
    // Rooms are built side by side: each waits on its own reads, which the database pool serves in parallel.
    const roomsBuilt = (async () => {
      const built = await Promise.all(
        targets.map((room) => {
          const { config, lists: inLists } = wanted.get(room.roomId)!;
          const sent = previous?.rooms[room.roomId];
          const target: RoomToSend = {
            room,
            config,
            lists: inLists,
            sent,
            isDm: dms.has(room.roomId),
            dmChanged: dmChanged && sent !== undefined,
            quiet: quiet.has(room.roomId),
            stateUnchanged: stateUnchangedSince(sent, since, heard, room.roomId),
            counts: counts.get(room.roomId),
            bumpStamp: bumps.get(room.roomId),
            latest: latest.get(room.roomId),
          };
          return this.builder.build(viewer, target, since?.events, current.events);
        }),
      );
      await this.fillTimelines(viewer, built);
      targets.forEach((room, i) => {
        sentRooms[room.roomId] = built[i].sent;
        if (built[i].result) rooms[room.roomId] = built[i].result!;
      });
    })();

    const listSignatures = Object.fromEntries(
      Object.entries(selection.lists).map(([name, l]) => [name, JSON.stringify(l)]),
    );
    const listsChanged = Object.entries(listSignatures).some(([name, sig]) => previous?.lists[name] !== sig);
    const listRooms = new Map(
      Object.entries(selection.lists).map(([name, l]) => [name, l.ops.flatMap((o) => o.room_ids)]),
    );
    const toDeviceSince = previous?.toDevice !== undefined ? BigInt(previous.toDevice) : undefined;
    // The rooms that may be sent with unread counts (an invite or knock has none), and, when the events they
    // may carry are all among those heard, the counts read meanwhile too.
    const counted = targets.filter((m) => JOINED_OR_PAST.has(m.membership) && (!quiet.has(m.roomId) || dmChanged));
    const carried = heard && since ? eventsCarried(counted, wanted, previous, since.events, heard) : undefined;
    const initial = new Set(
      targets.filter((m) => sentWhole(m.membership, previous?.rooms[m.roomId])).map((m) => m.roomId),
    );
    // The rooms, their unread counts and the extensions read side by side (the threads extension waits for
    // the timelines, which it leaves out).
    const [, earlyCounts, ext] = await Promise.all([
      roomsBuilt,
      carried &&
        this.unreadCounts(
          userId,
          counted.map((m) => m.roomId),
          carried.filter((e) => e.sender !== userId).map((e) => e.eventId),
          request.signal,
        ),
      this.extensions.build(
        viewer,
        body.extensions,
        {
          lists: listRooms,
          subscriptions,
          initial,
          timelineEvents: () => roomsBuilt.then(() => timelineEventsOf(rooms)),
        },
        since,
        current,
        toDeviceSince,
        accountData,
      ),
    ]);
    const sentCounted = Object.keys(rooms).filter((id) => !('stripped_state' in rooms[id]));
    const unread =
      earlyCounts ??
      (await this.unreadCounts(
        userId,
        sentCounted,
        timelineEventsFromOthers(rooms, sentCounted, userId),
        request.signal,
      ));
    for (const roomId of sentCounted) Object.assign(rooms[roomId], unread.get(roomId));
    const state: ConnectionState = {
      since: formatSyncToken(current),
      ...(ext.toDeviceNext !== undefined
        ? { toDevice: ext.toDeviceNext.toString() }
        : previous?.toDevice !== undefined
          ? { toDevice: previous.toDevice }
          : {}),
      rooms: sentRooms,
      lists: listSignatures,
    };
    return {
      response: { lists: selection.lists as unknown as JsonObject, rooms, extensions: ext.extensions },
      state,
      news: Object.keys(rooms).length > 0 || listsChanged || ext.news,
    };
  }

  /**
   * The rooms' `timeline`s in client format; the limited ones with their
   * bundled aggregations, read for the events of every room at once.
   */
  private async fillTimelines(viewer: Viewer, built: BuiltRoom[]): Promise<void> {
    const withTimeline = built.filter((b) => b.result && b.timeline);
    for (const b of withTimeline)
      if (!b.timeline!.limited) b.result!.timeline = b.timeline!.events.map((e) => toClientEvent(e, viewer));
    const limited = withTimeline.filter((b) => b.timeline!.limited);
    if (limited.length === 0) return;
    const events = await this.sync.bundles.clientEvents(
      viewer,
      limited.flatMap((b) => b.timeline!.events),
    );
    let at = 0;
    for (const b of limited) {
      b.result!.timeline = events.slice(at, at + b.timeline!.events.length);
      at += b.timeline!.events.length;
    }
  }

  /**
   * The timelines of the joined rooms this connection gets for the first
   * time, read in one statement per `timeline_limit` rather than one per
   * room: a first answer is mostly such rooms.
   */
  private async latestTimelines(
    targets: MembershipRow[],
    wanted: Map<string, { config: RoomConfig }>,
    previous: ConnectionState | undefined,
    upTo: bigint,
  ): Promise<Map<string, StoredEvent[]>> {
    const byLimit = new Map<number, string[]>();
    for (const room of targets) {
      const limit = wanted.get(room.roomId)!.config.timelineLimit;
      if (room.membership !== 'join' || previous?.rooms[room.roomId] !== undefined || limit <= 0) continue;
      byLimit.set(limit, [...(byLimit.get(limit) ?? []), room.roomId]);
    }
    const timelines = new Map<string, StoredEvent[]>();
    for (const [limit, roomIds] of byLimit)
      for (const [roomId, events] of await this.sync.reader.latestTimelines(roomIds, upTo, limit + 1))
        timelines.set(roomId, events);
    return timelines;
  }

  /**
   * MSC4186 `notification_count` and `highlight_count` of these rooms: the push service's unread counts of
   * the main timeline, as /sync's `unread_notifications` with `unread_thread_notifications`, once
   * `awaited` (the events from others the answer carries) are evaluated, so a message and the count it adds
   * arrive together.
   */
  private async unreadCounts(
    userId: string,
    roomIds: string[],
    awaited: string[],
    signal: AbortSignal | undefined,
  ): Promise<Map<string, { notification_count: number; highlight_count: number }>> {
    if (roomIds.length === 0) return new Map();
    await this.sync.pushEvaluation.settled(awaited, signal);
    const counts = await this.unread.ofRooms(roomIds.map((roomId) => ({ userId, roomId })));
    const byRoom = new Map(roomIds.map((id) => [id, { notification_count: 0, highlight_count: 0 }]));
    // MSC4186 RoomResult: the main timeline's; threads' notifications are not included.
    for (const c of counts) {
      const room = byRoom.get(c.roomId);
      if (!room || c.threadId !== 'main') continue;
      room.notification_count += c.notificationCount;
      room.highlight_count += c.highlightCount;
    }
    return byRoom;
  }

  /**
   * MSC4186 `bump_stamp` of these rooms: the last event of a bump type among the events heard since the
   * connection's last answer, else read.
   */
  private async bumpStamps(
    roomIds: string[],
    heard: RecentRoomEvent[] | undefined,
    upTo: bigint,
  ): Promise<Map<string, bigint>> {
    const stamps = new Map<string, bigint>();
    const wanted = new Set(roomIds);
    for (const event of heard ?? [])
      if (wanted.has(event.roomId) && BUMP_EVENT_TYPES.includes(event.type)) stamps.set(event.roomId, event.streamPos);
    const unknown = roomIds.filter((id) => !stamps.has(id));
    for (const [roomId, stamp] of await this.rooms.bumpStamps(unknown, upTo)) stamps.set(roomId, stamp);
    return stamps;
  }

  /** Each room's tags (client-server-api "Room Tagging": room account data m.tag). */
  private async roomTags(userId: string): Promise<Map<string, string[]>> {
    const rows = await this.db.accountData.findMany({
      where: { userId, type: 'm.tag' },
      select: { roomId: true, content: true },
    });
    return new Map(
      rows.map((r) => [
        r.roomId,
        Object.keys(((JSON.parse(r.content) as JsonObject).tags as JsonObject | undefined) ?? {}),
      ]),
    );
  }

  private async forgottenRooms(userId: string, memberships: MembershipRow[]): Promise<Set<string>> {
    if (!memberships.some((m) => m.membership === 'leave' || m.membership === 'ban')) return new Set();
    return new Set(
      (await this.db.forgottenRoom.findMany({ where: { userId }, select: { roomId: true } })).map((f) => f.roomId),
    );
  }
}

/** The events from others that the timelines of these rooms carry. */
function timelineEventsFromOthers(rooms: Record<string, JsonObject>, roomIds: string[], userId: string): string[] {
  return roomIds.flatMap((id) =>
    ((rooms[id].timeline ?? []) as JsonObject[]).filter((e) => e.sender !== userId).map((e) => e.event_id as string),
  );
}

/**
 * The events the timelines of these rooms may carry, when they are all among those heard since the
 * connection's last answer: every room was sent before, at or after that answer's position, under a
 * `timeline_limit` no larger (a larger one sends older events again). Otherwise undefined.
 */
function eventsCarried(
  rooms: MembershipRow[],
  wanted: Map<string, { config: RoomConfig }>,
  previous: ConnectionState | undefined,
  since: bigint,
  heard: RecentRoomEvent[],
): RecentRoomEvent[] | undefined {
  for (const room of rooms) {
    const sent = previous?.rooms[room.roomId];
    if (!sent || sentWhole(room.membership, sent) || BigInt(sent.sent) < since) return undefined;
    if (wanted.get(room.roomId)!.config.timelineLimit > sent.timelineLimit) return undefined;
  }
  const ids = new Set(rooms.map((m) => m.roomId));
  return heard.filter((e) => ids.has(e.roomId));
}

function timelineEventsOf(rooms: Record<string, JsonObject>): Set<string> {
  return new Set(
    Object.values(rooms).flatMap((r) => ((r.timeline ?? []) as JsonObject[]).map((e) => e.event_id as string)),
  );
}

/** A room sent at the connection's last position that has had no event since. */
function quietSince(
  sent: SentRoom | undefined,
  since: SyncPosition | undefined,
  changed: Set<string>,
  roomId: string,
): boolean {
  return sent !== undefined && since !== undefined && BigInt(sent.sent) >= since.events && !changed.has(roomId);
}

/** A room sent at or after the connection's last position whose events since were all heard, none changing its state. */
function stateUnchangedSince(
  sent: SentRoom | undefined,
  since: SyncPosition | undefined,
  heard: RecentRoomEvent[] | undefined,
  roomId: string,
): boolean {
  return (
    sent !== undefined &&
    since !== undefined &&
    heard !== undefined &&
    BigInt(sent.sent) >= since.events &&
    !changesState(heard, roomId)
  );
}

/**
 * MSC4186 "Lists": the server's room list holds the rooms the user is in,
 * invited to or knocked on, and those they were kicked or banned from; a
 * room they left themselves only if this connection was sent it before.
 */
function isListed(
  room: MembershipRow,
  userId: string,
  previous: ConnectionState | undefined,
  forgotten: Set<string>,
): boolean {
  if (room.membership === 'join' || room.membership === 'invite' || room.membership === 'knock') return true;
  if (forgotten.has(room.roomId)) return false;
  if (room.membership === 'ban' || room.membershipSender !== userId) return true;
  return previous?.rooms[room.roomId] !== undefined;
}
