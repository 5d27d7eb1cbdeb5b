import { Injectable } from '@nestjs/common';
import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import type { StoredEvent } from '@lattice/rooms';

/** What a sync worker remembers of a room event it heard of (output.room). */
export interface RecentRoomEvent {
  roomId: string;
  eventId: string;
  streamPos: bigint;
  sender: string;
  type: string;
  stateKey?: string;
  /** For m.room.member: whose membership it is. */
  membershipOf?: string;
  /** Users whose membership state resolution changed when it came in. */
  resolvedMembershipsOf?: string[];
  /** State resolution changed the room's state when it came in (OutputRoomEvent.stateResolved). */
  stateResolved?: true;
  /** A timeline gap lies before it (OutputRoomEvent.gapBefore). */
  gapBefore?: true;
  /** The event itself, kept for the latest KEPT_BODIES positions only: a timeline of those needs no read. */
  body?: { pdu: Pdu; roomVersion: string; txn?: { deviceId: string; txnId: string } };
}

/** Events remembered at most, the oldest leaving first. */
const REMEMBERED = 20_000;
/** A longer range is read from the store: walking it would cost more than the read. */
const MAX_RANGE = 2_000n;
/**
 * Events whose whole event is kept: the incremental answers an event wakes are built within moments, and
 * these, at a few hundred bytes to 64 KiB each, are what the worker holds for them.
 */
const KEPT_BODIES = 1_000n;

/**
 * The room events this sync worker heard of on output.room, by their
 * `events` position, so an incremental answer learns what happened between
 * two positions without reading the store. Every position of the stream
 * belongs to one event (positions are allocated without gaps, in the
 * writing transaction), so a range is known exactly when each of its
 * positions was heard; otherwise (not heard yet, heard by another worker
 * only, forgotten, or a position whose event is not announced) the caller
 * reads the store.
 */
@Injectable()
export class RecentRoomEvents {
  private readonly byPosition = new Map<bigint, RecentRoomEvent>();

  remember(event: OutputRoomEvent): void {
    const streamPos = BigInt(event.streamPos);
    if (streamPos <= 0n) return;
    if (this.byPosition.size >= REMEMBERED) this.byPosition.delete(this.byPosition.keys().next().value!);
    const aged = this.byPosition.get(streamPos - KEPT_BODIES);
    if (aged) delete aged.body;
    this.byPosition.set(streamPos, {
      roomId: event.roomId,
      eventId: event.eventId,
      streamPos,
      sender: event.pdu.sender,
      type: event.pdu.type,
      ...(event.pdu.state_key !== undefined ? { stateKey: event.pdu.state_key } : {}),
      ...(event.membershipOf !== undefined ? { membershipOf: event.membershipOf } : {}),
      ...(event.resolvedMembershipsOf?.length ? { resolvedMembershipsOf: event.resolvedMembershipsOf } : {}),
      ...(event.stateResolved ? { stateResolved: true as const } : {}),
      ...(event.gapBefore ? { gapBefore: true as const } : {}),
      ...(event.roomVersion
        ? { body: { pdu: event.pdu, roomVersion: event.roomVersion, ...(event.txn ? { txn: event.txn } : {}) } }
        : {}),
    });
  }

  /** The events in (after, upTo], oldest first, when every one of them was heard; else undefined. */
  between(after: bigint, upTo: bigint): RecentRoomEvent[] | undefined {
    if (upTo - after > MAX_RANGE) return undefined;
    const events: RecentRoomEvent[] = [];
    for (let p = after + 1n; p <= upTo; p++) {
      const event = this.byPosition.get(p);
      if (!event) return undefined;
      events.push(event);
    }
    return events;
  }
}

/** The rooms with an event among `events`. */
export function roomsOf(events: RecentRoomEvent[]): Set<string> {
  return new Set(events.map((e) => e.roomId));
}

/** Whether any of `events` may have changed someone's membership (an m.room.member event, or state resolution). */
export function movesMembers(events: RecentRoomEvent[]): boolean {
  return events.some((e) => e.type === 'm.room.member' || e.resolvedMembershipsOf !== undefined);
}

/** Whether any of `events` may have changed the room's current state: a state event of its own, or state resolution. */
export function changesState(events: RecentRoomEvent[], roomId: string): boolean {
  return events.some((e) => e.roomId === roomId && (e.stateKey !== undefined || e.stateResolved === true));
}

/** The latest timeline gap among `events` of each room that has one, by room ID: what RoomReader.latestGaps reads. */
export function latestGaps(events: RecentRoomEvent[]): Map<string, bigint> {
  const gaps = new Map<string, bigint>();
  for (const e of events) if (e.gapBefore) gaps.set(e.roomId, e.streamPos);
  return gaps;
}

/**
 * A room's timeline in (after, ...] from `events` (all the room's events of a range heard, see between), newest
 * first, at most `limit`: what RoomReader.timeline reads backwards. Undefined when the store must say: an event
 * whose body is no longer kept, a state event (its unsigned.prev_content is the store's), or a redaction (the
 * store marks what it redacted). An event redacted after the range comes as it was sent, as a client that synced
 * before the redaction had it; the redaction follows in a later answer.
 */
export function heardTimeline(
  events: RecentRoomEvent[],
  roomId: string,
  after: bigint,
  limit: number,
): StoredEvent[] | undefined {
  const timeline: StoredEvent[] = [];
  for (let i = events.length - 1; i >= 0 && timeline.length < limit; i--) {
    const e = events[i];
    if (e.roomId !== roomId || e.streamPos <= after) continue;
    if (!e.body || e.stateKey !== undefined || e.type === 'm.room.redaction') return undefined;
    timeline.push({
      eventId: e.eventId,
      roomId,
      roomVersion: e.body.roomVersion,
      pdu: e.body.pdu,
      streamPos: e.streamPos,
      depth: BigInt(e.body.pdu.depth),
      redactedBy: null,
      redactedBecause: null,
      txnId: e.body.txn?.txnId ?? null,
      senderDeviceId: e.body.txn?.deviceId ?? null,
    });
  }
  return timeline;
}

/**
 * The rooms among `events` whose summary may have changed: a state event of their own or state resolution
 * (their current state), or a redaction (the content of a state event in it).
 */
export function roomsWithSummaryChanges(events: RecentRoomEvent[]): Set<string> {
  const rooms = new Set<string>();
  for (const e of events)
    if (e.stateKey !== undefined || e.stateResolved === true || e.type === 'm.room.redaction') rooms.add(e.roomId);
  return rooms;
}

/**
 * The users whose membership any of `events` may have moved: its own (`membershipOf`, which the room-server and
 * out-of-band memberships set on every m.room.member event), or one state resolution changed.
 */
export function usersWithMembershipChanges(events: RecentRoomEvent[]): Set<string> {
  const users = new Set<string>();
  for (const e of events) {
    if (e.membershipOf !== undefined) users.add(e.membershipOf);
    for (const userId of e.resolvedMembershipsOf ?? []) users.add(userId);
  }
  return users;
}
