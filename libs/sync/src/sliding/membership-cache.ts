import { Injectable } from '@nestjs/common';
import type { RecentRoomEvent } from '../streams/recent-room-events';
import { SyncService } from '../sync-service';
import { SlidingRoomReader, withRemoteInvites, type MembershipRow } from './sliding-room-reader';

interface Entry {
  /** The events position the rows are current to. */
  at: bigint;
  withRoomTypes: boolean;
  rows: ReadonlyMap<string, MembershipRow>;
  /** Invites to rooms of other servers (kept apart from the rooms' state). */
  remote: MembershipRow[];
}

/** Users whose room lists a sync worker keeps, the least recently used leaving first. */
const MAX_USERS = 1_000;
/** More rooms with events than this since a user's last answer: their whole list is read again. */
const MAX_CHANGED_ROOMS = 1_000;

/**
 * The room list's memberships (MSC4186 "Lists"), kept between a user's
 * requests. Each sync worker keeps its own, tied to the events position it
 * is current to, so a copy is right whichever worker served the requests
 * before. What happened since comes from the events the worker heard of
 * (RecentRoomEvents) when it heard them all: another member's event only
 * moves a room's activity, and only the user's own membership events (or
 * state resolution of them), an encryption event or a room's creation make
 * a room's row be read again. Otherwise the user's rooms with events since
 * are read again (a membership change is an event of its room), and the
 * invites of other servers' rooms (announced at an events position of their
 * own, with no event row) with them.
 */
@Injectable()
export class MembershipCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly rooms: SlidingRoomReader,
    private readonly sync: SyncService,
  ) {}

  async memberships(userId: string, withRoomTypes: boolean, upTo: bigint): Promise<MembershipRow[]> {
    const entry = await this.current(userId, withRoomTypes, upTo);
    this.entries.delete(userId);
    if (this.entries.size >= MAX_USERS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userId, entry);
    return withRemoteInvites([...entry.rows.values()], entry.remote);
  }

  private async current(userId: string, withRoomTypes: boolean, upTo: bigint): Promise<Entry> {
    const known = this.entries.get(userId);
    const usable = known && known.at <= upTo && (known.withRoomTypes || !withRoomTypes) ? known : undefined;
    if (!usable) return this.readAll(userId, withRoomTypes, upTo);
    if (usable.at === upTo) return usable;
    const heard = this.sync.recent.between(usable.at, upTo);
    if (heard) return this.applyHeard(userId, usable, heard, upTo);
    const changed = await this.sync.reader.roomsWithEvents(usable.at, upTo);
    if (changed.size > MAX_CHANGED_ROOMS) return this.readAll(userId, usable.withRoomTypes, upTo);
    const [rows, remote] = await Promise.all([
      this.reread(userId, usable, [...changed]),
      this.rooms.remoteInvites(userId),
    ]);
    return { ...usable, at: upTo, rows, remote };
  }

  private async readAll(userId: string, withRoomTypes: boolean, upTo: bigint): Promise<Entry> {
    const [rows, remote] = await Promise.all([
      this.rooms.localMemberships(userId, withRoomTypes),
      this.rooms.remoteInvites(userId),
    ]);
    return { at: upTo, withRoomTypes, rows: byRoom(rows), remote };
  }

  /** The rows moved on by the events heard since they were read, reading only the rooms whose row they may change. */
  private async applyHeard(userId: string, usable: Entry, heard: RecentRoomEvent[], upTo: bigint): Promise<Entry> {
    const toRead = new Set<string>();
    const lastEvent = new Map<string, bigint>();
    for (const event of heard) {
      lastEvent.set(event.roomId, event.streamPos);
      if (changesRow(event, userId)) toRead.add(event.roomId);
    }
    const ownMembership = heard.some((e) => e.membershipOf === userId);
    const [reread, remote] = await Promise.all([
      toRead.size ? this.reread(userId, usable, [...toRead]) : usable.rows,
      ownMembership ? this.rooms.remoteInvites(userId) : usable.remote,
    ]);
    const rows = new Map(reread);
    for (const [roomId, streamPos] of lastEvent) {
      const row = rows.get(roomId);
      // A joined room's activity is its last event; otherwise it is the membership's, which a re-read has.
      if (row && !toRead.has(roomId) && row.membership === 'join' && streamPos > row.activity)
        rows.set(roomId, { ...row, activity: streamPos });
    }
    return { ...usable, at: upTo, rows, remote };
  }

  private async reread(userId: string, usable: Entry, roomIds: string[]): Promise<ReadonlyMap<string, MembershipRow>> {
    if (roomIds.length === 0) return usable.rows;
    const fresh = await this.rooms.localMemberships(userId, usable.withRoomTypes, roomIds);
    const updated = new Map(usable.rows);
    for (const id of roomIds) updated.delete(id);
    for (const row of fresh) updated.set(row.roomId, row);
    return updated;
  }
}

/** Whether an event may change the user's row of its room other than its activity. */
function changesRow(event: RecentRoomEvent, userId: string): boolean {
  if (event.membershipOf === userId || event.resolvedMembershipsOf?.includes(userId)) return true;
  return (event.type === 'm.room.encryption' || event.type === 'm.room.create') && event.stateKey === '';
}

function byRoom(rows: MembershipRow[]): Map<string, MembershipRow> {
  return new Map(rows.map((row) => [row.roomId, row]));
}
