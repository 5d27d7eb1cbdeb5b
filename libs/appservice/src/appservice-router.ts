import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DeviceKeyStore } from '@lattice/accounts';
import { AppserviceRegistry, coversUser, type AppserviceRegistration } from '@lattice/appservice-registry';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { OutputPresence, OutputRoomEvent, OutputStreamChange, OutputTyping } from '@lattice/contracts';
import type { Prisma } from '@lattice/storage';
import { CommittedRoomEvents, toClientEvent } from '@lattice/rooms';
import { AppserviceQueue, type QueueItem } from './appservice-queue';
import { interestedInEvent, interestedInRoom, type RoomFacts } from './interest';
import { RoomFactsReader } from './room-facts';
import { TransactionSender } from './transaction-sender';
import { ToDeviceReader } from './to-device-reader';
import { TypingRooms } from './typing-rooms';

/** The durable consumer name every app-service sender process shares. */
export const APPSERVICE_CONSUMER = 'appservice-sender';

/** Events whose arrival changes which services a room interests. */
const INTEREST_CHANGING_TYPES = new Set(['m.room.member', 'm.room.canonical_alias']);

/** Committed events read per query when a start catches up. */
const CATCH_UP_BATCH = 200;
/** How often, at most, the routed position is written while no service is registered. */
const IDLE_RECORD_MS = 1_000;

/**
 * Puts what each application service is to receive in its queue: the output
 * stream is consumed durably (a message is acknowledged only once its items
 * are stored, so none is lost when the sender stops), then the sender is
 * woken. Events go to every service interested in them or their room;
 * ephemeral data (MSC2409: typing, receipts, presence) to those with
 * receive_ephemeral, under the same rules, and send-to-device messages for
 * the users they cover; device-list changes and one-time-key counts
 * (MSC3202) to those with org.matrix.msc3202.
 *
 * In one process the bus does not redeliver: an event committed just before
 * the process died never reaches the router. There the router records the
 * last position it routed with the items it queued, and a start first
 * routes the events committed after it, read from the store, in order.
 */
@Injectable()
export class AppserviceRouter implements OnModuleInit {
  private readonly logger = new Logger(AppserviceRouter.name);
  /** Single process: room-event positions are recorded and caught up at start (services mode has JetStream's durable consumer). */
  private readonly tracksPosition: boolean;
  private idleRecordedAt = 0;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
    private readonly committed: CommittedRoomEvents,
    private readonly registry: AppserviceRegistry,
    private readonly facts: RoomFactsReader,
    private readonly queue: AppserviceQueue,
    private readonly sender: TransactionSender,
    private readonly typing: TypingRooms,
    private readonly toDevice: ToDeviceReader,
    private readonly deviceKeys: DeviceKeyStore,
  ) {
    this.tracksPosition = config.bus.kind === 'in-process';
  }

  async onModuleInit(): Promise<void> {
    // Before consuming: what was committed earlier goes first, so each service's events keep stream order.
    if (this.tracksPosition) await this.catchUp();
    // Ordered: each service's transactions carry the events in the order the rooms had them.
    const ordered = { ordered: true };
    await Promise.all([
      this.bus.consumeDurable('output.room', APPSERVICE_CONSUMER, (event) => this.routeEvent(event), ordered),
      this.bus.consumeDurable('output.typing', APPSERVICE_CONSUMER, (typing) => this.routeTyping(typing), ordered),
      this.bus.consumeDurable(
        'output.streams',
        APPSERVICE_CONSUMER,
        (change) => this.routeStreamChange(change),
        ordered,
      ),
      this.bus.consumeDurable(
        'output.presence',
        APPSERVICE_CONSUMER,
        (presence) => this.routePresence(presence),
        ordered,
      ),
      this.bus.consumeDurable(
        'output.oneTimeKeys',
        APPSERVICE_CONSUMER,
        ({ userId, deviceId }) => this.routeOneTimeKeyCount(userId, deviceId),
        ordered,
      ),
    ]);
  }

  async routeEvent(output: OutputRoomEvent): Promise<void> {
    if (INTEREST_CHANGING_TYPES.has(output.pdu.type) || output.resolvedMembershipsOf) this.facts.forget(output.roomId);
    const services = this.pushable();
    if (services.length === 0) return this.recordIdle(output);
    const room = await this.facts.of(output.roomId);
    const interested = services.filter((s) => interestedInEvent(s, output.pdu) || interestedInRoom(s, room));
    const payload = toClientEvent({
      eventId: output.eventId,
      roomId: output.roomId,
      roomVersion: '',
      pdu: output.pdu,
      streamPos: BigInt(output.streamPos),
      depth: 0n,
      redactedBy: null,
      redactedBecause: null,
      txnId: null,
      senderDeviceId: null,
    }) as Prisma.InputJsonValue;
    const departures = await this.departuresOf(output, room);
    await this.recordRouted(
      [...interested.map((s) => item(s, 'event', payload, output.eventId)), ...departures],
      output,
    );
  }

  /**
   * MSC3202 `device_lists.left`: after a leave or ban, the users a service no longer shares any
   * room of its interest with, so its bridge stops tracking their devices. The one who left is
   * such a user when no other room of the service's holds them; when the one who left is the
   * service's own user, so may be everyone still in the room.
   */
  private async departuresOf(output: OutputRoomEvent, room: RoomFacts): Promise<QueueItem[]> {
    const { type, state_key: member, content } = output.pdu;
    const membership = (content as { membership?: unknown } | undefined)?.membership;
    if (type !== 'm.room.member' || typeof member !== 'string' || (membership !== 'leave' && membership !== 'ban'))
      return [];
    // Only services that shared the room: for the others nobody left anything.
    const services = this.pushable().filter((s) => s.msc3202 && (coversUser(s, member) || interestedInRoom(s, room)));
    const candidatesOf = new Map(
      services.map((s) => [s, coversUser(s, member) ? room.joinedMembers.filter((u) => !coversUser(s, u)) : [member]]),
    );
    const everyone = [...new Set([...candidatesOf.values()].flat())];
    if (everyone.length === 0) return [];
    const roomsOf = await this.facts.joinedRoomsOf(everyone);
    const factsOf = new Map<string, RoomFacts>();
    for (const roomId of new Set([...roomsOf.values()].flat())) factsOf.set(roomId, await this.facts.of(roomId));
    return services.flatMap((s) =>
      (candidatesOf.get(s) ?? [])
        .filter((u) => !(roomsOf.get(u) ?? []).some((r) => interestedInRoom(s, factsOf.get(r)!)))
        .map((u) => item(s, 'device_lists', { left: u })),
    );
  }

  /**
   * Routes the room events committed after the last one routed, through routeEvent. A first start
   * (no position yet) starts from the present: events from before it were no service's to receive.
   */
  private async catchUp(): Promise<void> {
    let after = await this.queue.routedPosition();
    if (after === undefined) {
      await this.queue.enqueueRouted([], await this.committed.lastPosition());
      return;
    }
    let routed = 0;
    for (;;) {
      const events = await this.committed.after(after, CATCH_UP_BATCH);
      // With no service to push to, a batch moves the routed position once, not once per event: a restart after
      // tens of thousands of events (a bulk import) would otherwise start listening only after as many commits.
      if (this.pushable().length === 0 && events.length > 0)
        await this.queue.enqueueRouted([], BigInt(events[events.length - 1].streamPos));
      else for (const event of events) await this.routeEvent(event);
      routed += events.length;
      if (events.length < CATCH_UP_BATCH) break;
      after = BigInt(events[events.length - 1].streamPos);
    }
    if (routed > 0) this.logger.log(`Routed ${routed} room events committed before the last stop`);
  }

  /**
   * With no service registered nothing is queued, and the position is written at most once a second: a
   * write per event is a second commit per send on the embedded database's single connection (it halved
   * the single process's send rate). A restart then routes at most the last second again, to no service
   * or to one registered since.
   */
  private async recordIdle(output: OutputRoomEvent): Promise<void> {
    if (!this.tracksPosition || Date.now() - this.idleRecordedAt < IDLE_RECORD_MS) return;
    this.idleRecordedAt = Date.now();
    await this.queue.enqueueRouted([], BigInt(output.streamPos));
  }

  /** Queues an event's items; in one process with its position, in the same database transaction. */
  private async recordRouted(items: QueueItem[], output: OutputRoomEvent): Promise<void> {
    if (!this.tracksPosition) return this.deliver(items);
    await this.queue.enqueueRouted(items, BigInt(output.streamPos));
    for (const { serverName, serviceId } of items) this.sender.wake(serverName, serviceId);
  }

  async routeTyping(typing: OutputTyping): Promise<void> {
    const userIds = this.typing.update(typing);
    const services = this.ephemeralServices();
    if (services.length === 0) return;
    const interested = await this.interestedInRoom(services, typing.roomId);
    const payload = { type: 'm.typing', room_id: typing.roomId, content: { user_ids: userIds } };
    await this.deliver(interested.map((s) => item(s, 'ephemeral', payload)));
  }

  async routeStreamChange(change: OutputStreamChange): Promise<void> {
    if (change.receipt && change.roomId) await this.routeReceipt(change.roomId, change.receipt);
    if (change.deviceListOf) await this.routeDeviceList(change.deviceListOf);
    if (change.stream === 'toDevice' && change.userIds && change.firstPosition)
      await this.routeToDevice(change.userIds, BigInt(change.firstPosition), BigInt(change.position));
  }

  async routePresence(presence: OutputPresence): Promise<void> {
    const services = this.ephemeralServices();
    if (services.length === 0) return;
    const interested = await this.interestedInUser(services, presence.userId);
    const content = {
      presence: presence.state,
      last_active_ago: Math.max(0, Date.now() - presence.lastActiveTs),
      currently_active: presence.currentlyActive,
      ...(presence.statusMsg !== undefined ? { status_msg: presence.statusMsg } : {}),
    };
    await this.deliver(
      interested.map((s) => item(s, 'ephemeral', { type: 'm.presence', sender: presence.userId, content })),
    );
  }

  /**
   * application-service-api "Pushing ephemeral data": receipts under the rules of events; private
   * read receipts only to services whose namespaces cover their user.
   */
  private async routeReceipt(roomId: string, receipt: NonNullable<OutputStreamChange['receipt']>): Promise<void> {
    const services = this.ephemeralServices();
    if (services.length === 0) return;
    const interested = (await this.interestedInRoom(services, roomId)).filter(
      (s) => receipt.receiptType !== 'm.read.private' || coversUser(s, receipt.userId),
    );
    const data = { ts: receipt.ts, ...(receipt.threadId ? { thread_id: receipt.threadId } : {}) };
    const payload = {
      type: 'm.receipt',
      room_id: roomId,
      content: { [receipt.eventId]: { [receipt.receiptType]: { [receipt.userId]: data } } },
    };
    await this.deliver(interested.map((s) => item(s, 'ephemeral', payload)));
  }

  /**
   * MSC2409: send-to-device messages for users a service with receive_ephemeral covers go to it
   * (`de.sorunome.msc2409.to_device`), each once (deduplicated by its inbox position).
   */
  private async routeToDevice(userIds: string[], first: bigint, last: bigint): Promise<void> {
    const services = this.ephemeralServices().filter((s) => userIds.some((u) => coversUser(s, u)));
    if (services.length === 0) return;
    const messages = await this.toDevice.between(
      userIds.filter((u) => services.some((s) => coversUser(s, u))),
      first,
      last,
    );
    const items = services.flatMap((s) =>
      messages
        .filter(({ message }) => coversUser(s, message.to_user_id))
        .map(({ position, message }) =>
          item(s, 'to_device', message as unknown as Prisma.InputJsonValue, `to_device:${position}`),
        ),
    );
    await this.deliver(items);
  }

  /** MSC3202: the one-time keys left on a device of a user the service covers (the latest count wins in a transaction). */
  async routeOneTimeKeyCount(userId: string, deviceId: string): Promise<void> {
    const services = this.pushable().filter((s) => s.msc3202 && coversUser(s, userId));
    if (services.length === 0) return;
    const counts = await this.deviceKeys.oneTimeKeyCounts(userId, deviceId);
    await this.deliver(services.map((s) => item(s, 'otk_counts', { user_id: userId, device_id: deviceId, counts })));
  }

  /** MSC3202: a user whose devices changed, to the services that share a room with them or cover them. */
  private async routeDeviceList(userId: string): Promise<void> {
    const services = this.pushable().filter((s) => s.msc3202);
    if (services.length === 0) return;
    const interested = await this.interestedInUser(services, userId);
    await this.deliver(interested.map((s) => item(s, 'device_lists', { changed: userId })));
  }

  private async interestedInRoom(
    services: AppserviceRegistration[],
    roomId: string,
  ): Promise<AppserviceRegistration[]> {
    const room = await this.facts.of(roomId);
    return services.filter((s) => interestedInRoom(s, room));
  }

  /** Services covering the user, or interested in a room the user is joined to. */
  private async interestedInUser(
    services: AppserviceRegistration[],
    userId: string,
  ): Promise<AppserviceRegistration[]> {
    const covering = services.filter((s) => coversUser(s, userId));
    const others = services.filter((s) => !covering.includes(s));
    if (others.length === 0) return covering;
    const sharing = new Set<AppserviceRegistration>();
    for (const roomId of await this.facts.joinedRooms(userId)) {
      for (const s of await this.interestedInRoom(others, roomId)) sharing.add(s);
      if (sharing.size === others.length) break;
    }
    return [...covering, ...sharing];
  }

  private async deliver(items: QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.queue.enqueue(items);
    for (const { serverName, serviceId } of items) this.sender.wake(serverName, serviceId);
  }

  /** Services with a URL to push to. */
  private pushable(): AppserviceRegistration[] {
    return this.registry.everyService().filter((s) => s.url !== null);
  }

  private ephemeralServices(): AppserviceRegistration[] {
    return this.pushable().filter((s) => s.receiveEphemeral);
  }
}

function item(
  service: AppserviceRegistration,
  kind: QueueItem['kind'],
  payload: Prisma.InputJsonValue,
  dedupKey?: string,
): QueueItem {
  return { serverName: service.serverName, serviceId: service.id, kind, payload, ...(dedupKey ? { dedupKey } : {}) };
}
