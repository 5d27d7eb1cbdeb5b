import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { TenantDirectory } from '@lattice/config';
import { checkFetchedEvents, FederationClient, memoizedKeys, ServerKeys } from '@lattice/federation';
import { serverNameOf, type Pdu, type RoomVersion } from '@lattice/protocol';
import { RoomInputClient, FEDERATION_ROOM_READS, type FederationRoomReads, type StoredEvent } from '@lattice/rooms';

/** Fetched events go to the room-server in slices of this many, so each fits one bus message. */
const OUTLIER_SLICE = 500;
/** Above this many missing events the whole state is asked for (/state) rather than event by event (/event). */
const EVENT_BY_EVENT_LIMIT = 50;
/** /event requests in flight at once. */
const FETCH_CONCURRENCY = 8;
/** Rooms still partial are looked for this often (a failed resync, one another process started and dropped). */
const SWEEP_MS = 30_000;

/**
 * Completes rooms joined through a partial-state ("faster") join: asks the
 * servers that were in the room (servers_in_room, the one joined through
 * first) for the state before our join (/state_ids at the join event), fetches
 * what this server lacks (/event one by one when few, else /state), checks
 * every event like any PDU (format, signatures, hashes, auth against its auth
 * events), has the room-server store them and then complete the room, which
 * clears rooms.is_partial_state. Durable: what is to do lives in
 * partial_state_rooms, so rooms still partial are resumed at start, on a
 * sweep, and when one of our users joins one.
 */
@Injectable()
export class PartialStateResync implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PartialStateResync.name);
  private readonly running = new Map<string, Promise<void>>();
  private sweep: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly tenants: TenantDirectory,
    private readonly client: FederationClient,
    private readonly keys: ServerKeys,
    private readonly rooms: RoomInputClient,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
  ) {}

  onModuleInit(): void {
    this.bus.consume('output.room', (event) => {
      if (
        event.partialState &&
        event.pdu.type === 'm.room.member' &&
        event.pdu.content.membership === 'join' &&
        this.tenants.isLocal(serverNameOf(event.pdu.sender) ?? '')
      )
        this.resume();
    });
    this.resume();
    this.sweep = setInterval(() => this.resume(), SWEEP_MS);
    this.sweep.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    await Promise.allSettled(this.running.values());
  }

  /** Waits for the resync of a room in progress here, if any (tests, the bench). */
  async settled(roomId: string): Promise<void> {
    await this.running.get(roomId);
  }

  /** Starts a resync for every partial room that has none running in this process. */
  private resume(): void {
    if (this.stopped) return;
    void this.reader.partialStateRooms().then(
      (rooms) => {
        for (const room of rooms) {
          if (this.running.has(room.roomId) || this.stopped) continue;
          const run = this.resync(room.roomId, room.joinEventId, room.servers)
            .catch((e: Error) =>
              this.logger.warn(`Resync of ${room.roomId} failed, retried on the next sweep: ${e.message}`),
            )
            .finally(() => this.running.delete(room.roomId));
          this.running.set(room.roomId, run);
        }
      },
      () => undefined,
    );
  }

  private async resync(roomId: string, joinEventId: string, servers: string[]): Promise<void> {
    const join = await this.reader.event(joinEventId);
    const version = await this.reader.roomVersion(roomId);
    if (!join || !version) throw new Error(`the join event ${joinEventId} or the room is not stored`);
    const origin = serverNameOf(join.pdu.sender)!;
    const create = version.roomIdFromCreateEvent
      ? (await this.reader.stateEvent(roomId, 'm.room.create', ''))?.pdu
      : undefined;
    let lastError: Error = new Error('no server to ask');
    for (const server of servers) {
      if (this.stopped) return;
      try {
        const stateIds = await this.fetchFrom(origin, join.pdu.sender, server, roomId, joinEventId, version, create);
        await this.rooms.submit({
          kind: 'completeState',
          serverName: origin,
          sender: join.pdu.sender,
          roomId,
          joinEventId,
          stateIds,
        });
        return;
      } catch (e) {
        lastError = e as Error;
      }
    }
    throw lastError;
  }

  /** Fetches, checks and stores what this server lacks of the state before the join; returns the IDs of that state it now has. */
  private async fetchFrom(
    origin: string,
    joiner: string,
    server: string,
    roomId: string,
    joinEventId: string,
    version: RoomVersion,
    create: Pdu | undefined,
  ): Promise<string[]> {
    const query = `${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(joinEventId)}`;
    const ids = await this.client.request<{ pdu_ids?: unknown; auth_chain_ids?: unknown }>(
      origin,
      server,
      'GET',
      `/_matrix/federation/v1/state_ids/${query}`,
    );
    if (!isStringArray(ids.pdu_ids) || !isStringArray(ids.auth_chain_ids))
      throw new Error(`${server} answered /state_ids without pdu_ids and auth_chain_ids`);
    const known = await this.reader.knownEventIds([...ids.pdu_ids, ...ids.auth_chain_ids]);
    const missing = [...new Set([...ids.pdu_ids, ...ids.auth_chain_ids])].filter((id) => !known.has(id));

    let fetched: Pdu[];
    if (missing.length > EVENT_BY_EVENT_LIMIT) {
      const whole = await this.client.request<{ pdus?: Pdu[]; auth_chain?: Pdu[] }>(
        origin,
        server,
        'GET',
        `/_matrix/federation/v1/state/${query}`,
      );
      fetched = [...(whole.pdus ?? []), ...(whole.auth_chain ?? [])];
    } else {
      fetched = (
        await inBatches(missing, FETCH_CONCURRENCY, (id) =>
          this.client
            .request<{ pdus?: Pdu[] }>(origin, server, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(id)}`)
            .then(
              (r) => r.pdus ?? [],
              () => [],
            ),
        )
      ).flat();
    }
    const stored = async (eventIds: string[]) =>
      new Map((await this.reader.events(eventIds)).map((e: StoredEvent) => [e.eventId, e.pdu]));
    const wanted = new Set(missing);
    const accepted = (
      await checkFetchedEvents(
        version,
        fetched.filter((p) => p.room_id === roomId),
        memoizedKeys(this.keys),
        stored,
        create,
      )
    ).filter((e) => wanted.has(e.eventId));
    for (let i = 0; i < accepted.length; i += OUTLIER_SLICE) {
      await this.rooms.submit({
        kind: 'storeOutliers',
        serverName: origin,
        sender: joiner,
        roomId,
        events: accepted.slice(i, i + OUTLIER_SLICE),
      });
    }
    const have = new Set([...known, ...accepted.map((e) => e.eventId)]);
    return ids.pdu_ids.filter((id) => have.has(id));
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Runs `work` over `items`, at most `concurrency` at a time, answers in order. */
async function inBatches<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}
