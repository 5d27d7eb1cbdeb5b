import { Injectable } from '@nestjs/common';
import { SyncService } from '../sync-service';
import { SlidingRoomReader, withRemoteInvites, type MembershipRow } from './sliding-room-reader';

interface Entry {
  /** The events position the rows are current to. */
  at: bigint;
  withRoomTypes: boolean;
  rows: ReadonlyMap<string, MembershipRow>;
}

/** Users whose room lists a sync worker keeps, the least recently used leaving first. */
const MAX_USERS = 1_000;
/** More rooms with events than this since a user's last answer: their whole list is read again. */
const MAX_CHANGED_ROOMS = 1_000;

/**
 * The room list's memberships (MSC4186 "Lists"), kept between a user's
 * requests: the next answer re-reads only the user's rooms that had events
 * since (a membership change is an event of its room, and so is anything
 * that moves a room's activity or makes it encrypted), not every room. Each
 * sync worker keeps its own, tied to the events position it is current to,
 * so a copy is right whichever worker served the requests before.
 */
@Injectable()
export class MembershipCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly rooms: SlidingRoomReader,
    private readonly sync: SyncService,
  ) {}

  async memberships(userId: string, withRoomTypes: boolean, upTo: bigint): Promise<MembershipRow[]> {
    const [local, remote] = await Promise.all([
      this.localMemberships(userId, withRoomTypes, upTo),
      this.rooms.remoteInvites(userId),
    ]);
    return withRemoteInvites([...local.values()], remote);
  }

  private async localMemberships(
    userId: string,
    withRoomTypes: boolean,
    upTo: bigint,
  ): Promise<ReadonlyMap<string, MembershipRow>> {
    const known = this.entries.get(userId);
    const usable = known && known.at <= upTo && (known.withRoomTypes || !withRoomTypes) ? known : undefined;
    const changed = usable && usable.at < upTo ? await this.sync.reader.roomsWithEvents(usable.at, upTo) : new Set();
    let rows: ReadonlyMap<string, MembershipRow>;
    if (!usable || changed.size > MAX_CHANGED_ROOMS) {
      rows = byRoom(await this.rooms.localMemberships(userId, withRoomTypes));
    } else if (changed.size === 0) {
      rows = usable.rows;
    } else {
      const ids = [...changed] as string[];
      const fresh = await this.rooms.localMemberships(userId, usable.withRoomTypes, ids);
      const updated = new Map(usable.rows);
      for (const id of ids) updated.delete(id);
      for (const row of fresh) updated.set(row.roomId, row);
      rows = updated;
    }
    this.entries.delete(userId);
    if (this.entries.size >= MAX_USERS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(userId, { at: upTo, withRoomTypes: withRoomTypes || (usable?.withRoomTypes ?? false), rows });
    return rows;
  }
}

function byRoom(rows: MembershipRow[]): Map<string, MembershipRow> {
  return new Map(rows.map((row) => [row.roomId, row]));
}
