import { serverNameOf } from '@lattice/protocol';
import type { FederationRoomReads } from '@lattice/rooms';

/** A room's servers, each with the stream position from which it has had a member joined. */
type ServersSince = Map<string, bigint>;

/**
 * The servers with a member in each room, kept between membership changes. Every membership event passes through
 * output.room (ours and other servers'), so a room's list is dropped exactly when it may change, and a join only
 * adds its server: a room filling with members does not re-read its whole member list per join.
 *
 * Each server is kept with the position it joined at, because the routing pass runs behind the output: a burst of
 * messages may still be routing when another server joins, and what was sent before that join is not pushed to it.
 * A joined server asks for earlier history with /backfill, which gives each event as the room's history visibility
 * lets that server see it (server-server-api "Backfilling and retrieving missing events"); pushed, the messages
 * skipped that check, and the joiner showed them as new, above its join.
 */
export class RoomServers {
  private readonly rooms = new Map<string, Promise<ServersSince>>();

  constructor(private readonly reader: Pick<FederationRoomReads, 'joinedServersOfRooms'>) {}

  /** The servers in the room now: where an EDU goes. */
  async now(roomId: string): Promise<string[]> {
    return [...(await this.of([roomId]))[0].keys()];
  }

  /** The servers that were in the room before `position`: where the event there goes. */
  async before(roomId: string, position: bigint): Promise<string[]> {
    const [servers] = await this.of([roomId]);
    return [...servers].filter(([, since]) => since < position).map(([server]) => server);
  }

  /** The servers in any of these rooms now, the lists not known read in one query. */
  async inAny(roomIds: string[]): Promise<string[]> {
    return [...new Set((await this.of(roomIds)).flatMap((servers) => [...servers.keys()]))];
  }

  /** A member event at `position`: a join adds its server from there on; any other change may remove one. */
  membershipChanged(roomId: string, userId: string, membership: unknown, position: bigint): void {
    const known = this.rooms.get(roomId);
    const server = serverNameOf(userId);
    if (!known || membership !== 'join' || !server) {
      this.rooms.delete(roomId);
      return;
    }
    this.keep(
      roomId,
      known.then((servers) =>
        (servers.get(server) ?? position) < position ? servers : new Map(servers).set(server, position),
      ),
    );
  }

  /** The room's membership changed in a way no single member event says (a fork's resolution, a completed state). */
  forget(roomId: string): void {
    this.rooms.delete(roomId);
  }

  private of(roomIds: string[]): Promise<ServersSince[]> {
    const unknown = roomIds.filter((roomId) => !this.rooms.has(roomId));
    if (unknown.length > 0) {
      const read = this.reader.joinedServersOfRooms(unknown);
      for (const roomId of unknown)
        this.keep(
          roomId,
          read.then((all) => all.get(roomId) ?? new Map()),
        );
    }
    return Promise.all(roomIds.map((roomId) => this.rooms.get(roomId)!));
  }

  /** Keeps a room's list being read; a failed read is not kept. */
  private keep(roomId: string, servers: Promise<ServersSince>): void {
    this.rooms.set(roomId, servers);
    servers.catch(() => {
      if (this.rooms.get(roomId) === servers) this.rooms.delete(roomId);
    });
  }
}
