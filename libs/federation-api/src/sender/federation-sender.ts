import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { OutputRoomEvent } from '@lattice/contracts';
import { FederationClient, FederationError } from '@lattice/federation';
import { serverNameOf, type JsonObject, type Pdu } from '@lattice/protocol';
import { RoomReader } from '@lattice/room-server';
import { DATABASE, type Database } from '@lattice/storage';

/** server-server-api "Transactions": at most 50 PDUs and 100 EDUs each. */
const MAX_PDUS_PER_TRANSACTION = 50;
const MAX_EDUS_PER_TRANSACTION = 100;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 3600_000;

/** A PDU or an EDU waiting for its destination, with the tenant it is sent as. */
type Outgoing = { origin: string; pdu: Pdu } | { origin: string; edu: JsonObject };

interface Destination {
  queue: Outgoing[];
  sending: boolean;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * Sends what our users do to every other server in the room: their events,
 * and typing notifications and public read receipts as EDUs; as
 * transactions (PUT /send/{txnId}) of at most 50 PDUs and 100 EDUs, one in
 * flight per destination, retried with exponential backoff while a
 * destination is down. It follows the output streams, so it sees each
 * change once per process.
 */
@Injectable()
export class FederationSender implements OnModuleInit, OnModuleDestroy {
  private readonly destinations = new Map<string, Destination>();
  private readonly ours: Set<string>;
  private readonly reader: RoomReader;
  private counter = 0;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DATABASE) db: Database,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
    private readonly client: FederationClient,
  ) {
    this.ours = new Set(config.tenants.map((t) => t.serverName));
    this.reader = new RoomReader(db.prisma);
  }

  onModuleInit(): void {
    this.bus.consume('output.room', (event) => this.route(event));
    this.bus.consume('output.typing', async (typing) => {
      const edu = { edu_type: 'm.typing', content: { room_id: typing.roomId, user_id: typing.userId, typing: typing.typing } };
      await this.sendEdu(typing.roomId, typing.userId, edu);
    });
    this.bus.consume('output.streams', async (change) => {
      const receipt = change.receipt;
      // Private read receipts never leave this server (client-server-api "Private read receipts").
      if (!receipt || !change.roomId || receipt.receiptType !== 'm.read') return;
      const data = { ts: receipt.ts, ...(receipt.threadId ? { thread_id: receipt.threadId } : {}) };
      const edu = { edu_type: 'm.receipt', content: { [change.roomId]: { 'm.read': { [receipt.userId]: { event_ids: [receipt.eventId], data } } } } };
      await this.sendEdu(change.roomId, receipt.userId, edu);
    });
  }

  /** Queues an EDU about one of our users for the room's other servers. */
  private async sendEdu(roomId: string, userId: string, edu: JsonObject): Promise<void> {
    const origin = serverNameOf(userId);
    if (!origin || !this.ours.has(origin)) return;
    for (const server of await this.reader.joinedServers(roomId)) {
      if (this.ours.has(server)) continue;
      const destination = this.destination(server);
      destination.queue.push({ origin, edu });
      this.flush(server, destination);
    }
  }

  onModuleDestroy(): void {
    for (const destination of this.destinations.values()) clearTimeout(destination.timer);
  }

  /** Queues an event of one of our users for every other server with a member in its room (and the target of a membership change). */
  private async route(event: OutputRoomEvent): Promise<void> {
    const origin = serverNameOf(event.pdu.sender);
    if (!origin || !this.ours.has(origin)) return;
    const servers = new Set(await this.reader.joinedServers(event.roomId));
    const target = event.membershipOf && serverNameOf(event.membershipOf);
    if (target) servers.add(target);
    for (const server of servers) {
      if (this.ours.has(server)) continue;
      const destination = this.destination(server);
      destination.queue.push({ origin, pdu: event.pdu });
      this.flush(server, destination);
    }
  }

  private destination(server: string): Destination {
    let destination = this.destinations.get(server);
    if (!destination) {
      destination = { queue: [], sending: false, retryMs: FIRST_RETRY_MS };
      this.destinations.set(server, destination);
    }
    return destination;
  }

  private flush(server: string, destination: Destination): void {
    if (destination.sending || destination.timer || destination.queue.length === 0) return;
    destination.sending = true;
    // A transaction has one origin: take the leading run of items from the same tenant, within the limits.
    const origin = destination.queue[0].origin;
    const pdus: Pdu[] = [];
    const edus: JsonObject[] = [];
    let count = 0;
    for (const item of destination.queue) {
      if (item.origin !== origin) break;
      if ('pdu' in item ? pdus.length === MAX_PDUS_PER_TRANSACTION : edus.length === MAX_EDUS_PER_TRANSACTION) break;
      if ('pdu' in item) pdus.push(item.pdu);
      else edus.push(item.edu);
      count++;
    }
    const txnId = `${Date.now()}-${this.counter++}`;
    const body = { origin, origin_server_ts: Date.now(), pdus, edus };
    this.client
      .request(origin, server, 'PUT', `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`, body as never)
      .then(() => {
        destination.queue.splice(0, count);
        destination.retryMs = FIRST_RETRY_MS;
        destination.sending = false;
        this.flush(server, destination);
      })
      .catch((error: Error) => {
        destination.sending = false;
        if (error instanceof FederationError && error.status >= 400 && error.status < 500 && error.status !== 429) {
          // The destination refused the transaction itself: sending it again would be refused again.
          destination.queue.splice(0, count);
          this.flush(server, destination);
          return;
        }
        destination.timer = setTimeout(() => {
          destination.timer = undefined;
          this.flush(server, destination);
        }, destination.retryMs);
        destination.timer.unref();
        destination.retryMs = Math.min(destination.retryMs * 2, MAX_RETRY_MS);
      });
  }
}
