import { Injectable } from '@nestjs/common';
import { strippedState, type JsonObject } from '@lattice/protocol';
import { toClientEvent, type StoredEvent } from '@lattice/rooms';
import { formatPaginationToken } from '@lattice/streams';
import { hiddenByIgnore } from '../streams/ignored-users';
import { SyncService } from '../sync-service';
import type { SentRoom } from './connection-state';
import { RequiredState, type RoomConfig } from './room-config';
import { SlidingRoomReader, type MembershipRow } from './sliding-room-reader';

/** What the builder needs to know about a room it is to send. */
export interface RoomToSend {
  room: MembershipRow;
  config: RoomConfig;
  lists: string[];
  /** What the connection sent of it before, if anything. */
  sent: SentRoom | undefined;
  isDm: boolean;
  /** The DM flag changed since the connection's last answer. */
  dmChanged: boolean;
  /** Known to have had no event since it was last sent (so nothing to read). */
  quiet: boolean;
  /** Known, from the events the worker heard since it was last sent, to have had no state change (so none to read). */
  stateUnchanged: boolean;
  /** Member counts (of a room new to the connection; read here when its members changed later) and bump stamp, read for all rooms of the answer at once. */
  counts: { joined: number; invited: number } | undefined;
  bumpStamp: bigint | undefined;
  /** A joined room's first answer: its latest `timelineLimit + 1` events, newest first, read with the other rooms'. */
  latest?: StoredEvent[];
}

export interface Viewer {
  userId: string;
  deviceId: string;
  ignored: ReadonlySet<string>;
}

export interface BuiltRoom {
  /** The room's entry in `rooms`, or undefined when nothing about it changed. */
  result: JsonObject | undefined;
  sent: SentRoom;
  /**
   * The events of its `timeline`, which the caller puts in client format for all rooms at once: a limited
   * timeline comes with bundled aggregations, as in /sync (MSC4186 `timeline_events`).
   */
  timeline?: { events: StoredEvent[]; limited: boolean };
}

/** Memberships whose rooms are sent with their events (an invite or knock has stripped state only). */
export const JOINED_OR_PAST: ReadonlySet<string> = new Set(['join', 'leave', 'ban']);

/**
 * One room of a sliding sync answer (MSC4186 "Room results"): in full the
 * first time a connection gets it (`initial`), afterwards what changed
 * since the position it was last sent at.
 */
@Injectable()
export class SlidingRoomBuilder {
  constructor(
    private readonly sync: SyncService,
    private readonly rooms: SlidingRoomReader,
  ) {}

  /** `since`: the connection's previous position (undefined on its first request), for `num_live`. */
  async build(viewer: Viewer, target: RoomToSend, since: bigint | undefined, upTo: bigint): Promise<BuiltRoom> {
    const { room, config, sent } = target;
    const record: SentRoom = {
      sent: upTo.toString(),
      membership: room.membership,
      timelineLimit: config.timelineLimit,
      requiredState: config.requiredState,
    };
    if (!JOINED_OR_PAST.has(room.membership)) {
      // An invite or knock: only the stripped state the user may see, once per membership.
      if (sent?.membership === room.membership) return { result: undefined, sent: record };
      return { result: await this.strippedRoom(viewer, target), sent: record };
    }
    const initial = sent === undefined || sentWhole(room.membership, sent);
    // client-server-api "Room History Visibility": nothing after the user left.
    const end = room.membership === 'join' ? upTo : room.membershipPos;
    const from = initial ? 0n : BigInt(sent.sent);
    // As Synapse does, a room whose config changed gets the change with its next update, not before (MSC4186 "Changing room configs").
    if (!initial && !target.dmChanged && (target.quiet || from >= end))
      return { result: undefined, sent: { ...record, members: sent.members } };

    // MSC4186 "Changes to timeline_limit": a larger limit sends the latest events again.
    const expanded = !initial && config.timelineLimit > sent.timelineLimit;
    const after = initial || expanded ? 0n : from;
    // The new events and the state changes side by side: neither needs the other.
    const [fetched, stateChanges] = await Promise.all([
      target.latest ??
        (config.timelineLimit > 0
          ? this.sync.reader.timeline(room.roomId, {
              after,
              upTo: end,
              limit: config.timelineLimit + 1,
              backwards: true,
            })
          : []),
      initial || from >= end || target.stateUnchanged
        ? []
        : this.sync.reader.stateChangedBetween(room.roomId, from, end),
    ]);
    const limited = fetched.length > config.timelineLimit || (config.timelineLimit === 0 && initial);
    const page = fetched.slice(0, config.timelineLimit).reverse();
    const visible = await this.visible(viewer, room, page);
    if (!initial && page.length === 0 && stateChanges.length === 0 && !target.dmChanged)
      return { result: undefined, sent: { ...record, members: sent.members } };

    const matcher = new RequiredState(config.requiredState, viewer.userId);
    const before = initial ? undefined : new RequiredState(sent.requiredState, viewer.userId);
    const membersSent = new Set(initial || limited ? [] : (sent?.members ?? []));
    const wantedMembers = matcher.lazyMembers ? lazyMembersOf(visible).filter((u) => !membersSent.has(u)) : [];
    const changedTypes = new Set(stateChanges.map((e) => e.pdu.type));
    const membersChanged = initial || changedTypes.has('m.room.member');
    const fullRead = !matcher.isEmpty && !(before && matcher.sameAs(before));
    const needDetails =
      initial || changedTypes.has('m.room.name') || changedTypes.has('m.room.avatar') || membersChanged;
    // One read of the room's state serves the required state, the lazy members, and the name and avatar.
    const roomState =
      fullRead || needDetails || wantedMembers.length
        ? await this.stateOf(room, end, ...stateToRead(matcher, fullRead, wantedMembers))
        : [];
    const state = requiredStateOf(
      matcher,
      before,
      fullRead ? roomState : [],
      stateChanges,
      roomState.filter((e) => e.pdu.type === 'm.room.member' && wantedMembers.includes(e.pdu.state_key!)),
    );
    const details = needDetails ? nameAndAvatar(roomState) : undefined;
    const counts =
      room.membership === 'join' && membersChanged
        ? (target.counts ?? (await this.rooms.memberCounts([room.roomId])).get(room.roomId))
        : undefined;

    const result: JsonObject = {
      membership: room.membership,
      lists: target.lists,
      ...(initial ? { initial: true } : {}),
      ...(expanded ? { expanded_timeline: true, unstable_expanded_timeline: true } : {}),
      ...(details && (initial || changedTypes.has('m.room.name')) && details.name !== undefined
        ? { name: details.name }
        : {}),
      ...(details && (initial || changedTypes.has('m.room.avatar')) && details.avatar !== undefined
        ? { avatar: details.avatar }
        : {}),
      ...(details?.name === undefined && membersChanged
        ? { heroes: (await this.rooms.heroes(room.roomId, viewer.userId)) as unknown as JsonObject[] }
        : {}),
      ...(target.isDm && (initial || target.dmChanged)
        ? { is_dm: true }
        : !target.isDm && target.dmChanged
          ? { is_dm: false }
          : {}),
      ...(state.length ? { required_state: state.map((e) => toClientEvent(e)) } : {}),
      limited,
      prev_batch: formatPaginationToken(page[0]?.streamPos ?? end + 1n),
      num_live: since === undefined ? 0 : page.filter((e) => e.streamPos > since).length,
      ...(counts ? { joined_count: counts.joined, invited_count: counts.invited } : {}),
      ...bumpStampOf(target),
    };
    const members = [
      ...membersSent,
      ...state.filter((e) => e.pdu.type === 'm.room.member').map((e) => e.pdu.state_key!),
    ];
    return {
      result,
      sent: { ...record, members: [...new Set(members)] },
      ...(visible.length ? { timeline: { events: visible, limited } } : {}),
    };
  }

  private async strippedRoom(viewer: Viewer, target: RoomToSend): Promise<JsonObject> {
    const { room } = target;
    const stripped =
      room.remoteInviteState ??
      (room.membership === 'knock' ? await this.sync.reader.remoteKnockState(room.roomId, viewer.userId) : undefined) ??
      (await this.localStrippedState(room.roomId, viewer.userId));
    const name = stripped.find((e) => e.type === 'm.room.name' && e.state_key === '')?.content as
      JsonObject | undefined;
    return {
      membership: room.membership,
      lists: target.lists,
      initial: true,
      // As Synapse does, the name the stripped state gives, so the invite shows under it.
      ...(typeof name?.name === 'string' && name.name !== '' ? { name: name.name } : {}),
      // MSC4186 renamed invite_state to stripped_state; clients of the unstable API read invite_state.
      invite_state: stripped,
      stripped_state: stripped,
      notification_count: 0,
      highlight_count: 0,
      ...bumpStampOf(target),
    };
  }

  /** A room of this server: its stripped state and the user's own membership event (client-server-api "Stripped state"). */
  private async localStrippedState(roomId: string, userId: string): Promise<JsonObject[]> {
    const state = (await this.sync.reader.currentState(roomId)).map((e) => e.pdu);
    const stripped = strippedState(state);
    const own = state.filter(
      (e) =>
        e.type === 'm.room.member' &&
        e.state_key === userId &&
        !stripped.some((s) => s.type === e.type && s.state_key === userId),
    );
    return [
      ...stripped,
      ...own.map((e) => ({ type: e.type, state_key: e.state_key!, sender: e.sender, content: e.content })),
    ] as unknown as JsonObject[];
  }

  /** History visibility as /sync applies it: from the user's current join on, everything is theirs to see. */
  private async visible(viewer: Viewer, room: MembershipRow, page: StoredEvent[]): Promise<StoredEvent[]> {
    const joinedThroughout = room.membership === 'join' && page.length > 0 && page[0].streamPos > room.membershipPos;
    const seen = joinedThroughout
      ? page.map((e) => ({ ...e, viewerMembership: 'join' }))
      : await this.sync.visibility.visibleToUser(viewer.userId, page);
    return seen.filter((e) => !hiddenByIgnore(viewer.ignored, e.pdu));
  }

  /** The room's state (at the user's leave for a room they left) of these types, and of these members. */
  private async stateOf(
    room: MembershipRow,
    end: bigint,
    types: string[] | undefined,
    members: string[] | undefined,
  ): Promise<StoredEvent[]> {
    if (room.membership !== 'join') {
      const state = await this.sync.reader.stateAt(room.roomId, end);
      return state.filter(
        (e) =>
          (!types || types.includes(e.pdu.type)) &&
          (e.pdu.type !== 'm.room.member' || !members || members.includes(e.pdu.state_key!)),
      );
    }
    return this.sync.reader.currentStateOf(room.roomId, types, members);
  }
}

/** Whether the connection gets a room whole in this answer (`initial`): one it is or was in, not sent as such before. */
export function sentWhole(membership: string, sent: SentRoom | undefined): boolean {
  return JOINED_OR_PAST.has(membership) && (sent === undefined || !JOINED_OR_PAST.has(sent.membership));
}

/** The types and members to read: what the required state selects (when read whole), the name and avatar, the lazy members. */
function stateToRead(
  matcher: RequiredState,
  fullRead: boolean,
  lazy: string[],
): [string[] | undefined, string[] | undefined] {
  const types = fullRead ? matcher.types() : [];
  const members = fullRead ? matcher.memberKeys() : [];
  return [
    types && [...types, 'm.room.name', 'm.room.avatar', ...(lazy.length ? ['m.room.member'] : [])],
    members && [...members, ...lazy],
  ];
}

/**
 * `required_state`: on a room's first answer the current state it selects;
 * later, the selected state that changed, and what a wider required_state
 * selects that the one before did not (`before`); plus the lazy members.
 */
function requiredStateOf(
  matcher: RequiredState,
  before: RequiredState | undefined,
  state: StoredEvent[],
  changes: StoredEvent[],
  lazy: StoredEvent[],
): StoredEvent[] {
  const chosen = new Map<string, StoredEvent>();
  for (const e of state)
    if (matcher.matches(e.pdu.type, e.pdu.state_key!) && !before?.matches(e.pdu.type, e.pdu.state_key!))
      chosen.set(e.eventId, e);
  for (const e of changes)
    if (matcher.matches(e.pdu.type, e.pdu.state_key!) || (matcher.lazyMembers && e.pdu.type === 'm.room.member'))
      chosen.set(e.eventId, e);
  for (const e of lazy) chosen.set(e.eventId, e);
  return [...chosen.values()].sort((a, b) => (a.streamPos < b.streamPos ? -1 : a.streamPos > b.streamPos ? 1 : 0));
}

/** MSC4186 `name` and `avatar` from the room's state (`null` once removed). */
function nameAndAvatar(state: StoredEvent[]): { name?: string; avatar?: string | null } {
  const of = (type: string, field: string) => {
    const event = state.find((e) => e.pdu.type === type && e.pdu.state_key === '');
    if (!event) return undefined;
    const value = event.pdu.content[field];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const name = of('m.room.name', 'name');
  const avatar = of('m.room.avatar', 'url');
  return { ...(typeof name === 'string' ? { name } : {}), ...(avatar !== undefined ? { avatar } : {}) };
}

/** MSC4186 lazy members: the senders of the timeline's events, and the targets of its member events. */
function lazyMembersOf(events: StoredEvent[]): string[] {
  return [
    ...new Set(events.flatMap((e) => [e.pdu.sender, ...(e.pdu.type === 'm.room.member' ? [e.pdu.state_key!] : [])])),
  ];
}

/** For a room the user is not joined to, the bump stamp is when their membership happened (MSC4186 `bump_stamp`). */
function bumpStampOf(target: RoomToSend): JsonObject {
  const stamp =
    target.room.membership === 'join' ? (target.bumpStamp ?? target.room.membershipPos) : target.room.membershipPos;
  return { bump_stamp: Number(stamp) };
}
