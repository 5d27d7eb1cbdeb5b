import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { OutputRoomEvent } from '@lattice/contracts';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, type FederationRoomReads } from '@lattice/rooms';
import { isPresenceState, PresenceStore, type PresenceRecord } from '@lattice/streams';
import { EarlyPresence } from './early-presence';

/** What telling whether a user's presence concerns this server takes. */
type PresenceEduReads = Pick<FederationRoomReads, 'roomsOfUsers' | 'partialStateRooms'>;

/** server-server-api m.presence: one `push` entry, checked; undefined if it is malformed or about another server's user. */
export function presenceUpdateOf(
  origin: string,
  entry: unknown,
  now: number,
): { userId: string; record: PresenceRecord } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const {
    user_id: userId,
    presence,
    status_msg: statusMsg,
    last_active_ago: ago,
    currently_active: active,
  } = entry as JsonObject;
  // A server speaks only for its own users.
  if (typeof userId !== 'string' || serverNameOf(userId) !== origin || !isPresenceState(presence)) return undefined;
  if (typeof ago !== 'number' || !Number.isInteger(ago) || ago < 0) return undefined;
  return {
    userId,
    record: {
      state: presence,
      ...(typeof statusMsg === 'string' ? { statusMsg } : {}),
      lastActiveTs: now - ago,
      // The EDU's default when absent.
      currentlyActive: active === true,
    },
  };
}

/**
 * Inbound m.presence EDUs: each update about a user of the origin who is in
 * a room here is stored (which wakes the syncs of those sharing a room with
 * them). Users in no room here are nobody's concern on this server, and
 * storing them would let a server fill the table with strangers; but a room
 * being joined may not be stored yet, or be stored without its members (a
 * partial-state join): updates from the servers of a partial-state room are
 * taken up, and the others wait a short while (EarlyPresence) for a join or a
 * completed state to make them relevant.
 */
@Injectable()
export class PresenceEduReceiver implements OnModuleInit {
  private readonly early = new EarlyPresence();

  constructor(
    private readonly store: PresenceStore,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: PresenceEduReads,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  onModuleInit(): void {
    this.bus.consume('output.room', async (event) => {
      if (this.early.size > 0 && event.membershipOf && isJoin(event)) await this.reconsider();
    });
    this.bus.consume('output.roomStateCompleted', async () => {
      if (this.early.size > 0) await this.reconsider();
    });
  }

  async receive(origin: string, content: JsonObject): Promise<void> {
    if (!Array.isArray(content.push)) return;
    const now = Date.now();
    const updates = content.push.flatMap((entry) => {
      const update = presenceUpdateOf(origin, entry, now);
      return update ? [{ origin, ...update, receivedAt: now }] : [];
    });
    const relevant = await this.relevant(updates);
    for (const [i, update] of updates.entries()) {
      if (relevant[i]) {
        this.early.forget(update.userId);
        await this.store.change(update.userId, update.record);
      } else this.early.hold(update);
    }
  }

  private async reconsider(): Promise<void> {
    const updates = this.early.takeAll(Date.now());
    const relevant = await this.relevant(updates);
    for (const [i, update] of updates.entries()) {
      if (relevant[i]) await this.store.change(update.userId, update.record);
      else this.early.hold(update);
    }
  }

  /**
   * Whether each user is in a room here, or may be (their server is one of a partial-state room's): one read of
   * the users' rooms for all of them, and the partial-state rooms read only if some are in none.
   */
  private async relevant(updates: ReadonlyArray<{ origin: string; userId: string }>): Promise<boolean[]> {
    // An EDU with no valid entry, or held updates that all expired: nothing to read.
    if (updates.length === 0) return [];
    const rooms = await this.reader.roomsOfUsers(
      updates.map((u) => u.userId),
      ['join'],
    );
    const joined = updates.map(({ userId }) => rooms.get(userId)!.length > 0);
    if (joined.every(Boolean)) return joined;
    const partialStateServers = new Set((await this.reader.partialStateRooms()).flatMap((room) => room.servers));
    return updates.map(({ origin }, i) => joined[i] || partialStateServers.has(origin));
  }
}

function isJoin(event: OutputRoomEvent): boolean {
  return (event.pdu.content as { membership?: unknown }).membership === 'join';
}
