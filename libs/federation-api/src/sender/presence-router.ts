import type { TenantDirectory } from '@lattice/config';
import type { OutputPresence, OutputRoomEvent } from '@lattice/contracts';
import { serverNameOf } from '@lattice/protocol';
import type { MembershipReads } from '@lattice/rooms';
import type { PrismaClient } from '@lattice/storage';
import { roomMembersPresence, type PresenceRecord } from '@lattice/streams';
import type { Outbox } from './outbox';
import { changedPresence, MAX_PUSHES_PER_EDU, presenceDedupKey, presencePush } from './presence-push';

/** What the router needs of the federation sender. */
export interface PresenceRouting {
  /** The servers with a member in any of these rooms (the sender's cache). */
  serversIn(roomIds: string[]): Promise<string[]>;
  /** Starts sending what is queued for a server. */
  flush(server: string): void;
}

/**
 * Which servers get our users' presence (server-server-api "Presence":
 * servers "the receiving server would be interested in", those sharing a
 * room with the user), queued in the outbox as m.presence EDUs.
 */
export class PresenceRouter {
  constructor(
    private readonly db: PrismaClient,
    private readonly reader: MembershipReads,
    private readonly tenants: TenantDirectory,
    private readonly outbox: Outbox,
    private readonly routing: PresenceRouting,
  ) {}

  /** Our user's presence changed: every other server sharing a room with them gets it. */
  async changed(change: OutputPresence): Promise<void> {
    const origin = serverNameOf(change.userId);
    if (!origin || !this.tenants.isLocal(origin)) return;
    const rooms = await this.reader.roomsOfUser(change.userId, ['join']);
    const servers = await this.routing.serversIn(rooms.map((room) => room.roomId));
    const destinations = servers.filter((s) => !this.tenants.isLocal(s));
    await this.outbox.enqueue(destinations, origin, {
      edu: presencePush([changedPresence(change)], Date.now()),
      dedupKey: presenceDedupKey(change),
    });
    destinations.forEach((server) => this.routing.flush(server));
  }

  /**
   * A join makes servers newly share a room, and they have seen none of the
   * other side's presence: our joining user's presence goes to the room's
   * other servers, and a joining user's server gets the presence of our
   * members (offline ones aside: offline is what it assumes anyway).
   */
  async joined(event: OutputRoomEvent): Promise<void> {
    const joinerServer =
      event.membershipOf && (event.pdu.content as { membership?: unknown }).membership === 'join'
        ? serverNameOf(event.membershipOf)
        : undefined;
    if (!joinerServer) return;
    const local = this.tenants.isLocal(joinerServer);
    // Our joining user's own presence is all a local join sends: not the room's every member read for it.
    const members = await roomMembersPresence(this.db, event.roomId, local ? event.membershipOf : undefined);
    const ours = members.filter(
      ({ userId, record }) => record.state !== 'offline' && this.tenants.isLocal(serverNameOf(userId) ?? ''),
    );
    if (local) {
      const joiner = ours.filter(({ userId }) => userId === event.membershipOf);
      // Nothing to tell (the joiner is offline or has no presence): the room's servers are not read, which in a
      // room of thousands of members is a scan of all of them.
      if (joiner.length === 0) return;
      // Read afresh, not from the sender's cache, which this very join may be about to invalidate.
      const others = (await this.reader.joinedServers(event.roomId)).filter((s) => !this.tenants.isLocal(s));
      await this.push(others, joiner, event.eventId);
    } else {
      await this.push([joinerServer], ours, event.eventId);
    }
  }

  /**
   * Queues our users' presence for some servers because of a join: one EDU
   * per origin and up to MAX_PUSHES_PER_EDU users, each keyed by the join so
   * every federation-api process seeing it queues it once.
   */
  private async push(
    destinations: string[],
    updates: Array<{ userId: string; record: PresenceRecord }>,
    joinEventId: string,
  ): Promise<void> {
    if (destinations.length === 0 || updates.length === 0) return;
    const byOrigin = new Map<string, typeof updates>();
    for (const update of updates) {
      const origin = serverNameOf(update.userId)!;
      const group = byOrigin.get(origin);
      if (group) group.push(update);
      else byOrigin.set(origin, [update]);
    }
    const now = Date.now();
    for (const [origin, users] of byOrigin) {
      for (let i = 0; i < users.length; i += MAX_PUSHES_PER_EDU) {
        const edu = presencePush(users.slice(i, i + MAX_PUSHES_PER_EDU), now);
        await this.outbox.enqueue(destinations, origin, { edu, dedupKey: `m.presence ${joinEventId} ${origin} ${i}` });
      }
    }
    destinations.forEach((server) => this.routing.flush(server));
  }
}
