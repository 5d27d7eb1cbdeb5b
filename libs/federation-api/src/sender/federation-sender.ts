import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { TenantDirectory } from '@lattice/config';
import type { OutputRoomEvent } from '@lattice/contracts';
import { FederationClient, FederationError } from '@lattice/federation';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { RoomReader } from '@lattice/room-server';
import { DATABASE, type Database } from '@lattice/storage';
import { Outbox } from './outbox';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 3600_000;
/** How often destinations with queued items are looked for (restarts, retries, leases of dead processes). */
const SWEEP_MS = 30_000;

interface Destination {
  sending: boolean;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * Sends what our users do to every other server in the room: their events,
 * and typing notifications and public read receipts as EDUs. Items go to
 * the persisted outbox first, then out in transactions (PUT /send/{txnId},
 * at most 50 PDUs and 100 EDUs), one in flight per destination, with
 * exponential backoff while a destination is down; a request from that
 * server counts as it being back. An item leaves the outbox only when its
 * destination has accepted it, so a restart loses nothing and a destination
 * that comes back catches up.
 */
@Injectable()
export class FederationSender implements OnModuleInit, OnModuleDestroy {
  private readonly destinations = new Map<string, Destination>();
  private readonly reader: RoomReader;
  private readonly outbox: Outbox;
  /**
   * The servers in each room, kept between membership changes: every
   * membership event passes through output.room (ours and other servers'),
   * so the cache is dropped exactly when it may change.
   */
  private readonly serversIn = new Map<string, Promise<string[]>>();
  private sweep: NodeJS.Timeout | undefined;
  private counter = 0;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DATABASE) db: Database,
    private readonly tenants: TenantDirectory,
    private readonly client: FederationClient,
  ) {
    this.reader = new RoomReader(db.prisma);
    this.outbox = new Outbox(db.prisma, `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  onModuleInit(): void {
    this.bus.consume('output.room', (event) => this.routeEvent(event));
    this.bus.consume('output.roomStateCompleted', ({ roomId }) => void this.serversIn.delete(roomId));
    this.bus.consume('output.typing', async (typing) => {
      const edu = { edu_type: 'm.typing', content: { room_id: typing.roomId, user_id: typing.userId, typing: typing.typing } };
      await this.routeEdu(typing.roomId, typing.userId, edu);
    });
    this.bus.consume('output.streams', async (change) => {
      const receipt = change.receipt;
      // Private read receipts never leave this server (client-server-api "Private read receipts").
      if (!receipt || !change.roomId || receipt.receiptType !== 'm.read') return;
      const data = { ts: receipt.ts, ...(receipt.threadId ? { thread_id: receipt.threadId } : {}) };
      const edu = { edu_type: 'm.receipt', content: { [change.roomId]: { 'm.read': { [receipt.userId]: { event_ids: [receipt.eventId], data } } } } };
      await this.routeEdu(change.roomId, receipt.userId, edu);
    });
    const resume = () => this.outbox.pendingDestinations().then((servers) => servers.forEach((server) => this.flush(server)), () => undefined);
    void resume();
    this.sweep = setInterval(resume, SWEEP_MS);
    this.sweep.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweep);
    for (const destination of this.destinations.values()) clearTimeout(destination.timer);
    await this.outbox.releaseAll().catch(() => undefined);
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

  /** An event of one of our users goes to every other server with a member in its room (and the target of a membership change). */
  private async routeEvent(event: OutputRoomEvent): Promise<void> {
    if (event.membershipOf) this.membershipChanged(event.roomId, event.membershipOf, event.pdu.content.membership);
    const origin = serverNameOf(event.pdu.sender);
    if (!origin || !this.tenants.isLocal(origin)) return;
    const servers = new Set(await this.joinedServers(event.roomId));
    const target = event.membershipOf && serverNameOf(event.membershipOf);
    if (target) servers.add(target);
    const destinations = [...servers].filter((s) => !this.tenants.isLocal(s));
    await this.outbox.enqueue(destinations, origin, { pdu: event.pdu, eventId: event.eventId });
    destinations.forEach((server) => this.flush(server));
  }

  /**
   * A join can only add its server to the room's list, so a known list
   * grows in place (a room filling with members does not re-read its whole
   * member list per join); any other change may remove a server: re-read.
   */
  private membershipChanged(roomId: string, userId: string, membership: unknown): void {
    const known = this.serversIn.get(roomId);
    const server = serverNameOf(userId);
    if (!known || membership !== 'join' || !server) {
      this.serversIn.delete(roomId);
      return;
    }
    const grown = known.then((servers) => (servers.includes(server) ? servers : [...servers, server]));
    this.serversIn.set(roomId, grown);
    grown.catch(() => this.serversIn.delete(roomId));
  }

  private async routeEdu(roomId: string, userId: string, edu: JsonObject): Promise<void> {
    const origin = serverNameOf(userId);
    if (!origin || !this.tenants.isLocal(origin)) return;
    const destinations = (await this.joinedServers(roomId)).filter((s) => !this.tenants.isLocal(s));
    await this.outbox.enqueue(destinations, origin, { edu });
    destinations.forEach((server) => this.flush(server));
  }

  /**
   * The servers with a member in the room; while the room's state is
   * partial (most members unknown), with the servers_in_room the resident
   * named at our join too.
   */
  private joinedServers(roomId: string): Promise<string[]> {
    let servers = this.serversIn.get(roomId);
    if (!servers) {
      servers = Promise.all([this.reader.joinedServers(roomId), this.reader.partialStateServers(roomId)]).then(([joined, partial]) => [...new Set([...joined, ...partial])]);
      this.serversIn.set(roomId, servers);
      servers.catch(() => this.serversIn.delete(roomId));
    }
    return servers;
  }

  private flush(server: string): void {
    let destination = this.destinations.get(server);
    if (!destination) {
      destination = { sending: false, retryMs: FIRST_RETRY_MS };
      this.destinations.set(server, destination);
    }
    if (destination.sending || destination.timer) return;
    destination.sending = true;
    void this.drain(server, destination).finally(() => (destination.sending = false));
  }

  /** Sends transactions until the destination's outbox is empty, another process holds it, or it fails. */
  private async drain(server: string, destination: Destination): Promise<void> {
    for (;;) {
      if (!(await this.outbox.claim(server).catch(() => false))) return;
      const batch = await this.outbox.next(server);
      if (!batch) return;
      const txnId = `${Date.now()}-${this.counter++}`;
      const body = { origin: batch.origin, origin_server_ts: Date.now(), pdus: batch.pdus, edus: batch.edus };
      try {
        await this.client.request(batch.origin, server, 'PUT', `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`, body as never);
      } catch (error) {
        // The destination refused the transaction itself: sending it again would be refused again.
        const refused = error instanceof FederationError && error.status >= 400 && error.status < 500 && error.status !== 429;
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
      await this.outbox.done(batch.ids);
      destination.retryMs = FIRST_RETRY_MS;
    }
  }
}
