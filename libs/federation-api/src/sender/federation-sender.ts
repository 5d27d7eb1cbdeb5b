import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { OutputRoomEvent } from '@lattice/contracts';
import { FederationClient, FederationError } from '@lattice/federation';
import { serverNameOf, type Pdu } from '@lattice/protocol';
import { RoomReader } from '@lattice/room-server';
import { DATABASE, type Database } from '@lattice/storage';

/** server-server-api "Transactions": at most 50 PDUs each. */
const MAX_PDUS_PER_TRANSACTION = 50;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 3600_000;

interface Destination {
  queue: Array<{ origin: string; pdu: Pdu }>;
  sending: boolean;
  retryMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * Sends the events our users make to every other server in the room, as
 * transactions (PUT /send/{txnId}) of at most 50 PDUs, one in flight per
 * destination, retried with exponential backoff while a destination is down.
 * It follows the output stream, so it sees each persisted event once per
 * process.
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
    // A transaction has one origin: take the leading run of PDUs from the same tenant.
    const origin = destination.queue[0].origin;
    let count = 0;
    while (count < destination.queue.length && count < MAX_PDUS_PER_TRANSACTION && destination.queue[count].origin === origin) count++;
    const batch = destination.queue.slice(0, count);
    const txnId = `${Date.now()}-${this.counter++}`;
    const body = { origin, origin_server_ts: Date.now(), pdus: batch.map((b) => b.pdu), edus: [] };
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
