import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig } from '@lattice/config';
import type { OutputRoomEvent } from '@lattice/contracts';
import { FederationClient, FederationError } from '@lattice/federation';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, type EventHeader, type FederationRoomReads } from '@lattice/rooms';
import { currentStreamPosition, PRISMA, type PrismaClient } from '@lattice/storage';
import { DeviceListUpdates } from './device-list-updates';
import { federationQueueDepth } from '@lattice/telemetry';
import { Outbox } from './outbox';
import { PresenceRouter } from './presence-router';
import { RoomServers } from './room-servers';
import { RoutingCursor } from './routing-cursor';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 3600_000;
/** How often destinations with queued items, and events not yet routed, are looked for (restarts, retries, leases of dead processes). */
const SWEEP_MS = 30_000;
/** How long output that stays on this server waits for its routing pass. */
const LATE_ROUTE_MS = 1_000;
/** Events routed per read of the events stream. */
const ROUTING_PAGE = 500;

interface Destination {
  sending: boolean;
  /** A flush came while a drain was under way: items may have been queued after it last looked at the outbox. */
  flushedMeanwhile: boolean;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * Sends what our users do to every other server in the room: their events,
 * and typing notifications, public read receipts, device-list changes
 * and presence (see presence-router.ts) as EDUs; and whatever other processes queued (send-to-device). Items go to
 * the persisted outbox first, then out in transactions (PUT /send/{txnId},
 * at most 50 PDUs and 100 EDUs), one in flight per destination, with
 * exponential backoff while a destination is down; a request from that
 * server counts as it being back. An item leaves the outbox only when its
 * destination has accepted it, so a restart loses nothing and a destination
 * that comes back catches up.
 */
@Injectable()
export class FederationSender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FederationSender.name);
  private readonly destinations = new Map<string, Destination>();
  private readonly outbox: Outbox;
  private readonly deviceListUpdates: DeviceListUpdates;
  private readonly cursor: RoutingCursor;
  /** The routing pass in progress, and whether output arrived during it (so another pass follows). */
  private routing: Promise<void> | undefined;
  private routeAgain = false;
  /** Output events being looked at before a routing pass is asked for (see flush). */
  private deciding = 0;
  /** Destinations flushed while a routing pass was due or under way: sent to when it ends (see flush). */
  private readonly flushAfterPass = new Set<string>();
  /** The pass due for output that stays on this server (see routeLater). */
  private lateRoute: NodeJS.Timeout | undefined;
  private readonly presence: PresenceRouter;
  private readonly roomServers: RoomServers;
  private sweep: NodeJS.Timeout | undefined;
  private counter = 0;
  /**
   * Set on shutdown, before the store closes: no transaction starts, and one
   * still under way leaves its batch queued (sent again after the restart; the
   * receiver skips PDUs it has) rather than recording it in a closing store.
   */
  private stopping = false;
  private removeQueueGauge?: () => void;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly tenants: TenantDirectory,
    private readonly client: FederationClient,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
    private readonly accounts: AccountStore,
  ) {
    const owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.outbox = new Outbox(this.db, owner);
    this.cursor = new RoutingCursor(this.db, owner);
    this.roomServers = new RoomServers(this.reader);
    this.deviceListUpdates = new DeviceListUpdates(this.db, (userId) => this.serversSharingWith(userId));
    this.presence = new PresenceRouter(this.db, this.reader, tenants, this.outbox, {
      serversIn: (roomIds) => this.roomServers.inAny(roomIds),
      flush: (server) => this.flush(server),
    });
  }

  onModuleInit(): void {
    this.removeQueueGauge = federationQueueDepth.addSource(async () =>
      (await this.outbox.depths(50)).map(({ destination, items }) => ({ labels: { destination }, value: items })),
    );
    // Output only wakes the router: it reads the events from the store, from where it left off.
    this.bus.consume('output.room', async (event) => {
      // A fork's resolution can change who is joined without a member event of its own. A member event changes
      // the list as it arrives, in every process, not when the routing pass (one process's, maybe a second later)
      // reads it: an EDU routed meanwhile, such as our user's presence set just after a remote user joined, must
      // reach the joiner's server.
      if (event.resolvedMembershipsOf) this.roomServers.forget(event.roomId);
      else if (event.membershipOf !== undefined)
        this.roomServers.membershipChanged(
          event.roomId,
          event.membershipOf,
          (event.pdu.content as { membership?: unknown }).membership,
          BigInt(event.streamPos),
        );
      this.deciding++;
      try {
        if (await this.mayLeaveThisServer(event)) void this.route();
        else this.routeLater();
      } finally {
        this.deciding--;
        if (!this.routing) this.sendFlushedDuringPass();
      }
    });
    this.bus.consume('output.roomStateCompleted', ({ roomId }) => this.roomServers.forget(roomId));
    this.bus.consume('output.typing', async (typing) => {
      const edu = {
        edu_type: 'm.typing',
        content: { room_id: typing.roomId, user_id: typing.userId, typing: typing.typing },
      };
      await this.routeEdu(typing.roomId, typing.userId, edu);
    });
    this.bus.consume('output.streams', async (change) => {
      if (change.deviceListOf && this.tenants.isLocal(serverNameOf(change.deviceListOf) ?? ''))
        await this.sendDeviceListUpdates();
      const receipt = change.receipt;
      // Private read receipts never leave this server (client-server-api "Private read receipts").
      if (!receipt || !change.roomId || receipt.receiptType !== 'm.read') return;
      const data = { ts: receipt.ts, ...(receipt.threadId ? { thread_id: receipt.threadId } : {}) };
      const edu = {
        edu_type: 'm.receipt',
        content: { [change.roomId]: { 'm.read': { [receipt.userId]: { event_ids: [receipt.eventId], data } } } },
      };
      await this.routeEdu(change.roomId, receipt.userId, edu);
    });
    this.bus.consume('output.outbox', ({ destinations }) => destinations.forEach((server) => this.flush(server)));
    if (this.config.presence.enabled) {
      this.bus.consume('output.presence', (change) => this.presence.changed(change));
      this.bus.consume('output.room', (event) => this.presence.joined(event));
    }
    const resume = () => {
      void this.route();
      this.sendDeviceListUpdates()
        .then(() => this.outbox.pendingDestinations())
        .then(
          (servers) => servers.forEach((server) => this.flush(server)),
          () => undefined,
        );
    };
    void resume();
    this.sweep = setInterval(resume, SWEEP_MS);
    this.sweep.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.removeQueueGauge?.();
    clearInterval(this.sweep);
    clearTimeout(this.lateRoute);
    for (const destination of this.destinations.values()) clearTimeout(destination.timer);
    await this.routing;
    await this.cursor
      .release()
      .catch((e: unknown) =>
        this.logger.debug(
          `Routing cursor not released on shutdown; its claim times out and another sender takes it: ${String(e)}`,
        ),
      );
    await this.outbox
      .releaseAll()
      .catch((e: unknown) =>
        this.logger.debug(
          `Outbox claims not released on shutdown; they time out and another sender takes them: ${String(e)}`,
        ),
      );
  }

  /** A request came from `server`: it is up, so whatever waits for it goes now rather than after its backoff. */
  serverIsUp(server: string): void {
    const destination = this.destinations.get(server);
    if (!destination?.timer) return;
    clearTimeout(destination.timer);
    destination.timer = undefined;
    destination.retryMs = FIRST_RETRY_MS;
    this.flush(server);
  }

  /**
   * Routes the events stream into the outbox, from the routed position to
   * the committed one. One pass at a time; output arriving meanwhile makes
   * one more pass. A process without the routing lease leaves it to the one
   * that has it (the sweep tries again, so a dead holder is replaced).
   */
  private route(): Promise<void> {
    if (this.routing) {
      this.routeAgain = true;
      return this.routing;
    }
    this.routing = (async () => {
      do {
        this.routeAgain = false;
        // No wait for more output: the first event of a burst goes at once (a peer may act on it within milliseconds,
        // as Complement's two-server tests do), and what comes during the pass is gathered into the next one.
        await new Promise((resolve) => setImmediate(resolve));
        await this.routePass().finally(() => this.sendFlushedDuringPass());
      } while (this.routeAgain);
    })()
      .catch((e: Error) => {
        if (!this.stopping) this.logger.error(`federation routing: ${e.message}`);
      })
      .finally(() => {
        this.routing = undefined;
        this.sendFlushedDuringPass();
      });
    return this.routing;
  }

  /**
   * Output that stays on this server is routed by a later pass: the pass
   * still records it as routed, but one pass a second serves a deployment
   * with no other server in its rooms instead of one per commit.
   */
  private routeLater(): void {
    this.lateRoute ??= setTimeout(() => {
      this.lateRoute = undefined;
      void this.route();
    }, LATE_ROUTE_MS).unref();
  }

  /**
   * Whether an output event may have to reach another server: a membership
   * change (it may add one to the room), or an event of our users in a room
   * with another server in it. A wrong "no" only delays: every pass routes
   * everything up to the committed position, from the store.
   */
  private async mayLeaveThisServer(event: OutputRoomEvent): Promise<boolean> {
    if (event.membershipOf !== undefined || event.resolvedMembershipsOf) return true;
    const origin = serverNameOf(event.pdu.sender);
    if (!origin || !this.tenants.isLocal(origin)) return false;
    return (await this.roomServers.now(event.roomId)).some((server) => !this.tenants.isLocal(server));
  }

  private async routePass(): Promise<void> {
    let position = await this.cursor.claim();
    if (position === undefined) return;
    const upTo = await currentStreamPosition(this.db, 'events');
    while (position < upTo) {
      const headers = await this.reader.eventHeadersInRange(position, upTo, ROUTING_PAGE);
      const routes: Array<{ eventNid: bigint; origin: string; destinations: string[] }> = [];
      for (const header of headers) {
        const destinations = await this.destinationsOf(header);
        if (destinations.length)
          routes.push({ eventNid: header.eventNid, origin: serverNameOf(header.sender)!, destinations });
      }
      // Only events that leave this server are read whole: in a deployment with no other server in its rooms, none is.
      const events = await this.reader.eventsByNid(routes.map((r) => r.eventNid));
      for (const [i, event] of events.entries()) {
        await this.outbox.enqueue(routes[i].destinations, routes[i].origin, { pdu: event.pdu, eventId: event.eventId });
        routes[i].destinations.forEach((server) => this.flush(server));
      }
      for (const header of headers) if (this.isOurUsersJoin(header)) await this.announceDevices(header);
      // What this page queued goes out now, while the cursor is recorded: it is in the outbox already (routed again
      // after a crash before the advance, it is queued once per destination and the receiver skips what it has).
      this.sendFlushedDuringPass();
      // Positions with no timeline event (outliers, invites from other servers) are passed over too.
      position = headers.length === ROUTING_PAGE ? headers[headers.length - 1].streamPos : upTo;
      await this.cursor.advance(position);
    }
  }

  /**
   * Where an event goes: if one of our users sent it, every other server
   * with a member in its room before it, and the target of a membership change. Taken
   * in stream order, so a membership change is in the room's server list
   * before the events after it are routed. The output.room consumer has
   * usually applied it already; this covers output the process missed (a
   * reconnect), which would otherwise leave a joined server without the
   * room's events.
   */
  private async destinationsOf(event: EventHeader): Promise<string[]> {
    if (event.membershipOf !== undefined)
      this.roomServers.membershipChanged(event.roomId, event.membershipOf, event.membership, event.streamPos);
    const origin = serverNameOf(event.sender);
    if (!origin || !this.tenants.isLocal(origin)) return [];
    // Our user's join into a room new to this server went through a resident's send_join, and "the resident server
    // must also send the event to other servers participating in the room" (server-server-api "Joining Rooms").
    if (this.isOurUsersJoin(event) && (await this.reader.isFirstInTimeline(event.roomId, event.streamPos))) return [];
    const servers = new Set(await this.roomServers.before(event.roomId, event.streamPos));
    const target = event.membershipOf && serverNameOf(event.membershipOf);
    if (target) servers.add(target);
    return [...servers].filter((s) => !this.tenants.isLocal(s));
  }

  private async routeEdu(roomId: string, userId: string, edu: JsonObject): Promise<void> {
    const origin = serverNameOf(userId);
    if (!origin || !this.tenants.isLocal(origin)) return;
    const destinations = (await this.roomServers.now(roomId)).filter((s) => !this.tenants.isLocal(s));
    await this.outbox.enqueue(destinations, origin, { edu });
    destinations.forEach((server) => this.flush(server));
  }

  private isOurUsersJoin(event: EventHeader): boolean {
    return (
      event.membership === 'join' &&
      event.membershipOf === event.sender &&
      this.tenants.isLocal(serverNameOf(event.sender) ?? '')
    );
  }

  /**
   * Device list updates go out "when that user joins a room which contains servers which are not already receiving
   * updates for that user's device list" (server-server-api "Device Management"). Such a join records a change of
   * each of the user's devices (AccountStore.announceDevices), which the device-list pass sends to every server
   * sharing a room with them, so a server new to them gets their devices in the user's own sequence of stream IDs
   * (a server already receiving them gets them again, unchanged). The routing pass does this, so each join is
   * announced by one process.
   */
  private async announceDevices(join: EventHeader): Promise<void> {
    const remote = (await this.roomServers.now(join.roomId)).filter((server) => !this.tenants.isLocal(server));
    if (remote.length === 0) return;
    const [event] = await this.reader.eventsByNid([join.eventNid]);
    // A joined member's new display name or avatar is a join too.
    if ((event?.replaces?.pdu.content as { membership?: unknown } | undefined)?.membership === 'join') return;
    const userId = join.sender;
    const otherRooms = (await this.reader.roomsOfUser(userId, ['join']))
      .map((room) => room.roomId)
      .filter((roomId) => roomId !== join.roomId);
    const receiving = new Set(await this.roomServers.inAny(otherRooms));
    if (remote.every((server) => receiving.has(server))) return;
    await this.accounts.announceDevices(userId);
  }

  /** Queues every pending device-list change of our users (also at each sweep, so none is left behind by a missed wake-up). */
  private async sendDeviceListUpdates(): Promise<void> {
    (await this.deviceListUpdates.queuePending()).forEach((server) => this.flush(server));
  }

  /** The other servers with a member in any room the user is joined to. */
  private async serversSharingWith(userId: string): Promise<string[]> {
    const rooms = await this.reader.roomsOfUser(userId, ['join']);
    return (await this.roomServers.inAny(rooms.map((room) => room.roomId))).filter((s) => !this.tenants.isLocal(s));
  }

  /**
   * Sends what is queued for a server. While a routing pass is due or under way (or an output event is being
   * looked at to see if one is), that waits for the pass: the events it routes were committed before what is
   * being flushed (a typing notification, a receipt, presence from the /sync after a send), and go in the same
   * transaction rather than behind one; only one transaction may be in flight per destination
   * (server-server-api PUT /send/{txnId}: "must wait ... for a 200 OK response before sending a transaction
   * with a different txnId").
   */
  private flush(server: string): void {
    if (this.routing || this.deciding > 0) this.flushAfterPass.add(server);
    else this.send(server);
  }

  private sendFlushedDuringPass(): void {
    const servers = [...this.flushAfterPass];
    this.flushAfterPass.clear();
    servers.forEach((server) => this.send(server));
  }

  private send(server: string): void {
    let destination = this.destinations.get(server);
    if (!destination) {
      destination = { sending: false, flushedMeanwhile: false, retryMs: FIRST_RETRY_MS };
      this.destinations.set(server, destination);
    }
    if (this.stopping || destination.timer) return;
    if (destination.sending) {
      destination.flushedMeanwhile = true;
      return;
    }
    destination.sending = true;
    this.drain(server, destination)
      // The queue stays in the outbox: the sweep or the next item sends it. At shutdown the database may close under a drain.
      .catch((e: Error) => {
        if (!this.stopping) this.logger.error(`federation sender to ${server}: ${e.message}`);
      })
      .finally(() => {
        destination.sending = false;
        // An item queued after the drain's last look at the outbox goes right after it, not at the next sweep.
        if (destination.flushedMeanwhile) this.send(server);
      });
  }

  /** Sends transactions until the destination's outbox is empty, another process holds it, or it fails. */
  private async drain(server: string, destination: Destination): Promise<void> {
    while (!this.stopping) {
      // What is queued before this point is in the batch read below (or a later one): flushes until now need nothing more.
      destination.flushedMeanwhile = false;
      if (!(await this.outbox.claim(server).catch(() => false))) return;
      const batch = await this.outbox.next(server);
      if (!batch) return;
      const txnId = `${Date.now()}-${this.counter++}`;
      const body = { origin: batch.origin, origin_server_ts: Date.now(), pdus: batch.pdus, edus: batch.edus };
      try {
        await this.client.request(
          batch.origin,
          server,
          'PUT',
          `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`,
          body as never,
        );
      } catch (error) {
        // The destination refused the transaction itself: sending it again would be refused again.
        const refused =
          error instanceof FederationError && error.status >= 400 && error.status < 500 && error.status !== 429;
        if (!refused) {
          destination.timer = setTimeout(() => {
            destination.timer = undefined;
            this.flush(server);
          }, destination.retryMs);
          destination.timer.unref();
          destination.retryMs = Math.min(destination.retryMs * 2, MAX_RETRY_MS);
          return;
        }
      }
      if (this.stopping) return;
      this.logger.debug(`transaction ${txnId} to ${server}: ${batch.pdus.length} PDUs, ${batch.edus.length} EDUs`);
      await this.outbox.done(batch.ids);
      destination.retryMs = FIRST_RETRY_MS;
    }
  }
}
