import { Inject, Injectable } from '@nestjs/common';
import { fetchHistory, FederationClient, ServerKeys } from '@lattice/federation';
import { serverNameOf } from '@lattice/protocol';
import { RoomInputClient, SYNC_ROOM_READS, type SyncRoomReads } from '@lattice/rooms';

/**
 * Fills in history this server does not have when a client pages back past
 * the earliest event it holds of a room it joined through another server
 * (its history starts at the join): the events before it are fetched from
 * a server in the room with /backfill and handed to the room-server, which
 * stores them before everything else. A room whose create event is here
 * has all its history.
 */
@Injectable()
export class HistoryBackfill {
  /** One fetch per room at a time: concurrent paginations wait for it instead of asking again. */
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(
    private readonly federation: FederationClient,
    private readonly keys: ServerKeys,
    private readonly rooms: RoomInputClient,
    @Inject(SYNC_ROOM_READS) private readonly reader: SyncRoomReads,
  ) {}

  /** Fetches up to about `limit` events before the room's earliest; says whether that moved the room's start back. */
  backfill(origin: string, roomId: string, limit: number): Promise<boolean> {
    let run = this.running.get(roomId);
    if (!run) {
      run = this.fetch(origin, roomId, limit).finally(() => this.running.delete(roomId));
      this.running.set(roomId, run);
    }
    return run;
  }

  private async fetch(origin: string, roomId: string, limit: number): Promise<boolean> {
    const [earliest] = await this.reader.timeline(roomId, { limit: 1, backwards: false });
    const version = await this.reader.roomVersion(roomId);
    if (!earliest || !version || earliest.pdu.type === 'm.room.create') return false;
    // The earliest event's own server has it and what precedes it; then any other server in the room.
    const servers = [
      ...new Set([serverNameOf(earliest.pdu.sender), ...(await this.reader.joinedServers(roomId))]),
    ].filter((s): s is string => !!s && s !== origin);
    // /backfill answers include the events it starts from: one more than the page needs.
    const events = await fetchHistory(this.federation, this.keys, {
      origin,
      servers,
      roomId,
      version,
      from: [earliest.eventId],
      limit: limit + 1,
    });
    const fresh = events.filter((e) => e.eventId !== earliest.eventId);
    if (fresh.length === 0) return false;
    await this.rooms.submit({ kind: 'backfill', serverName: origin, sender: origin, roomId, events: fresh });
    const [start] = await this.reader.timeline(roomId, { limit: 1, backwards: false });
    return start?.eventId !== earliest.eventId;
  }
}
