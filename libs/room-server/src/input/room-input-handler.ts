import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Bus, PartitionContext } from '@lattice/bus';
import {
  RefusedError,
  Refusals,
  type BackfillInput,
  type CompleteStateInput,
  type CreateRoomInput,
  type FederatedEventInput,
  type MembershipInput,
  type PurgeRoomInput,
  type RedactInput,
  type RemoteJoinInput,
  type RoomInput,
  type RoomInputReply,
  type RoomInputRefused,
  type RoomInputReplyOf,
  type SendInput,
  type StoreOutliersInput,
} from '@lattice/contracts';
import {
  authEventsLookup,
  canonicalJson,
  checkEventAuth,
  DEFAULT_ROOM_VERSION,
  findRoomVersion,
  isEventOfRoom,
  isValidRoomAlias,
  parsePowerLevels,
  powerLevelOf,
  roomIdFromCreateEvent,
  referencedIds,
  serverNameOf,
  stateKey,
  type AuthStateLookup,
  type HeldAuthEvent,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';
import {
  buildEvent,
  checkRestrictedJoin,
  membershipTemplate,
  type EventTemplate,
  type WriterRoomReads,
  type Keyring,
  type RoomHead,
  type StateEntry,
} from '@lattice/rooms';
import { isRoomBlocked, isServerNoticeRoom, type PositionCache, type PrismaClient } from '@lattice/storage';
import { planCreateRoom, type CreateRoomRequest } from '../create-room/plan-create-room';
import { purgeRoom } from '../storage/room-purge';
import {
  AliasTakenError,
  RepeatedTransactionError,
  StaleHeadError,
  transactionKey,
  type PersistedEvent,
  type RoomStore,
  type RoomWrite,
} from '../storage/room-store';
import type { DagReader } from '../dag/dag-reader';
import { DraftRoom } from '../dag/draft-room';
import { checkAgainstAuthEvents } from '../dag/receipt-checks';
import { changedByResolution, currentStateChanges, membershipsChangedByResolution } from '../dag/state-set';
import { planReceivedEvent } from './plan-received-event';
import { roomsWithGuestAccessChange, type GuestEviction } from './guest-eviction';
import { serverAclRefusal } from './server-acl-policy';

/** Display name and avatar of a local user, for their join events. */
export type ProfileLookup = (userId: string) => Promise<{ displayname?: string; avatar_url?: string } | undefined>;

/** Room input that adds one event to an existing room. */
type RoomEventInput = SendInput | MembershipInput | RedactInput | FederatedEventInput;
/** Room input a local user asked for, which adds one event unless the room already holds what it asks. */
type LocalInput = SendInput | MembershipInput | RedactInput;
/** Room input applied on its own, outside group commits. */
type SingleInput =
  CreateRoomInput | RemoteJoinInput | BackfillInput | StoreOutliersInput | CompleteStateInput | PurgeRoomInput;

/** Whether a server name is one of this deployment's tenants. */
export type IsLocalServer = (serverName: string) => boolean;

/** A batch entry: the input, the writer epoch of the partition it came in on, and whether it may be a repeat. */
export interface InputInBatch {
  request: RoomInput;
  context: Pick<PartitionContext, 'epoch' | 'mayBeRepeat'>;
}

/** What a local input turns into once checked against the room: an event to build, or an answer without one. */
type Plan = { template: EventTemplate } | { reply: RoomInputReplyOf<LocalInput['kind']> };

/**
 * Applies room input: builds each event, authorises it against the room's
 * state, persists it and publishes it. The bus hands it a batch of inputs at
 * a time, in order; events for existing rooms are planned one after another
 * on draft heads and persisted together in one transaction (group commit),
 * which is what lets one writer per room keep up with many senders. A cached
 * head is valid only under the partition epoch it was loaded in: a process
 * that lost a partition and won it back reloads.
 */
export class RoomInputHandler {
  private readonly logger = new Logger(RoomInputHandler.name);
  private readonly heads = new Map<string, { head: RoomHead; epoch: bigint }>();

  constructor(
    private readonly db: PrismaClient,
    private readonly store: RoomStore,
    private readonly keyring: Keyring,
    private readonly bus: Bus,
    private readonly profiles: ProfileLookup,
    private readonly positions: PositionCache,
    private readonly isLocal: IsLocalServer,
    private readonly reader: WriterRoomReads,
    private readonly dag: DagReader,
    private readonly guests: GuestEviction,
  ) {}

  /** Applies a batch of inputs in order and answers each; a repeated input gets its first reply. */
  async handle(batch: ReadonlyArray<InputInBatch>): Promise<RoomInputReply[]> {
    const replies: RoomInputReply[] = new Array(batch.length);
    // Only a repeat can have a record: a batch of first deliveries (nearly every batch) skips the lookup. A repeat
    // its delivery failed to flag still writes nothing: its processed_inputs row collides with the first copy's and
    // the whole transaction rolls back; the batch is then retried, or the input redelivered, as a possible repeat.
    const recorded = await this.store.processedReplies(
      batch.filter((b) => b.context.mayBeRepeat).map((b) => b.request.inputId),
    );
    const firstCopy = new Map<string, number>();
    let run: Array<{ index: number; input: RoomEventInput; epoch: bigint }> = [];
    const flush = async () => {
      const answers = run.length ? await this.applyRun(run) : [];
      run.forEach(({ index }, k) => (replies[index] = answers[k]));
      run = [];
    };

    for (const [index, { request, context }] of batch.entries()) {
      const previous = recorded.get(request.inputId);
      if (previous) replies[index] = JSON.parse(previous) as RoomInputReply;
      else if (firstCopy.has(request.inputId)) continue;
      else if (isSingle(request)) {
        firstCopy.set(request.inputId, index);
        await flush();
        replies[index] = await answer(() => this.applySingle(request, context.epoch));
      } else {
        firstCopy.set(request.inputId, index);
        run.push({ index, input: request, epoch: context.epoch });
      }
    }
    await flush();
    batch.forEach(({ request }, index) => (replies[index] ??= replies[firstCopy.get(request.inputId)!]));
    return replies;
  }

  private async applyRun(
    run: Array<{ input: RoomEventInput; epoch: bigint }>,
  ): Promise<Array<RoomInputReplyOf<RoomEventInput['kind']>>> {
    // A client's transaction ID is nearly always new: it is looked up only once the write finds it recorded (a
    // retried request), which saves the lookup's round trip on every other send.
    let lookUpTransactions = false;
    let reloaded = false;
    for (;;) {
      try {
        return await this.planAndPersist(run, lookUpTransactions);
      } catch (e) {
        // States planned for events that were never stored must not be built on.
        this.dag.forget();
        if (e instanceof RepeatedTransactionError && !lookUpTransactions) {
          lookUpTransactions = true;
        } else if (e instanceof StaleHeadError && !reloaded) {
          // Another writer got in between our read and our write (a partition handover): reload and try once more.
          this.heads.delete(e.roomId);
          reloaded = true;
        } else {
          for (const { input } of run) this.heads.delete(input.roomId);
          throw e;
        }
      }
    }
  }

  /**
   * Builds and authorises each input's event on its room's draft (so the
   * second event of a room in the batch follows the first), then persists
   * every room's events and every input's reply in one transaction.
   */
  private async planAndPersist(
    run: Array<{ input: RoomEventInput; epoch: bigint }>,
    lookUpTransactions: boolean,
  ): Promise<Array<RoomInputReplyOf<RoomEventInput['kind']>>> {
    const txnOf = (input: RoomEventInput) =>
      'txn' in input && input.txn ? { userId: input.sender, scope: transactionScope(input), ...input.txn } : undefined;
    // Grows as the run plans, so a transaction repeated within the run gets the event its first copy made.
    const txns = lookUpTransactions
      ? await this.store.eventsForTransactions(run.flatMap(({ input }) => txnOf(input) ?? []))
      : new Map<string, string>();
    // Events from other servers this server already has (federation retries are normal), found in one query; grows as the run plans.
    const have = await this.reader.knownEventIds(
      run.flatMap(({ input }) => (input.kind === 'federatedEvent' ? [input.eventId] : [])),
    );
    const rooms = new Map<string, { head: RoomHead; draft: DraftRoom; epoch: bigint }>();
    const replies: Array<RoomInputReplyOf<RoomEventInput['kind']>> = [];

    for (const { input, epoch } of run) {
      replies.push(
        await answer(async (): Promise<RoomInputReplyOf<RoomEventInput['kind']>> => {
          const txn = txnOf(input);
          const existing = txn && txns.get(transactionKey(txn));
          if (existing) return { ok: true, roomId: input.roomId, eventId: existing };
          let room = rooms.get(input.roomId);
          if (!room) {
            const head = await this.head(input.roomId, epoch);
            room = { head, draft: new DraftRoom(head, this.dag), epoch };
            rooms.set(input.roomId, room);
          }
          const { draft } = room;
          if (input.kind === 'federatedEvent') {
            if (have.has(input.eventId)) return { ok: true, roomId: input.roomId, eventId: input.eventId };
            const received = await planReceivedEvent(input, draft, this.dag);
            await draft.add(received, {
              referencedByKnownEvent: (await this.dag.referenced([received.eventId])).has(received.eventId),
            });
            have.add(received.eventId);
            if (received.status === 'rejected') {
              const reason = `Rejected: ${received.rejectionReason}`;
              if (input.rejectionIsDone)
                return { ok: true, roomId: input.roomId, eventId: received.eventId, rejected: reason };
              return { ok: false, error: { status: 403, errcode: 'M_FORBIDDEN', error: reason } };
            }
            return { ok: true, roomId: input.roomId, eventId: received.eventId };
          }
          const plan = await this.plan(input, draft.head);
          if ('reply' in plan) return plan.reply;
          const ts = input.kind === 'send' ? input.originServerTs : undefined;
          const built = buildEvent(
            draft.head,
            input.sender,
            plan.template,
            input.serverName,
            await this.keyring.signingKey(input.serverName),
            ts,
          );
          this.authorise(draft.head, built.pdu, 'M_FORBIDDEN');
          await draft.add({ ...built, before: draft.current, txn }, { referencedByKnownEvent: false });
          if (txn) txns.set(transactionKey(txn), built.eventId);
          return { ok: true, roomId: input.roomId, eventId: built.eventId };
        }),
      );
    }

    const writes = [...rooms.values()].map((r) => r.draft.write(r.head, r.epoch)).filter((w) => w.events.length > 0);
    const processed = run.map(({ input }, i) => ({ inputId: input.inputId, reply: JSON.stringify(replies[i]) }));
    const resolved = writes.map((w) =>
      changedByResolution(w.head.state, currentStateChanges(w.head, w.next.state).changes, w.events),
    );
    const persisted = await this.store.persist(writes, processed);
    for (const write of writes) this.heads.set(write.head.roomId, { head: write.head, epoch: write.epoch });
    await this.publish(writes, persisted, resolved);
    await this.guests.evict(roomsWithGuestAccessChange(writes));
    return replies;
  }

  private async plan(input: LocalInput, draft: RoomHead): Promise<Plan> {
    const refusal = serverAclRefusal(input, draft);
    if (refusal) throw Refusals.forbidden(refusal);
    switch (input.kind) {
      case 'send':
        return this.planSend(input, draft);
      case 'membership':
        return this.planMembership(input, draft);
      case 'redact':
        return this.planRedaction(input, draft);
    }
  }

  /** Setting a state entry to what it already holds, from the same sender, is answered with the event that set it: sending it twice is idempotent. */
  private planSend(input: SendInput, draft: RoomHead): Plan {
    if (input.stateKey !== undefined) {
      const current = draft.state.get(stateKey(input.type, input.stateKey));
      if (current && current.pdu.sender === input.sender && sameJson(current.pdu.content, input.content))
        return { reply: { ok: true, roomId: input.roomId, eventId: current.eventId } };
    }
    return {
      template: {
        type: input.type,
        content: withoutClientAuthoriser(input, draft),
        ...(input.stateKey === undefined ? {} : { stateKey: input.stateKey }),
      },
    };
  }

  private async planMembership(input: MembershipInput, draft: RoomHead): Promise<Plan> {
    const current = draft.state.get(stateKey('m.room.member', input.target));
    const membership = current?.pdu.content.membership;
    // Joining twice, or leaving when already gone, is not an error to the client: answer with the existing event.
    if (
      (input.action === 'join' && membership === 'join') ||
      (input.action === 'leave' && (membership === undefined || membership === 'leave'))
    ) {
      return { reply: { ok: true, roomId: input.roomId, eventId: current?.eventId } };
    }
    if (input.action === 'unban' && membership !== 'ban') throw Refusals.forbidden(`${input.target} is not banned`);
    if (
      (input.action === 'join' || input.action === 'invite' || input.action === 'knock') &&
      (await isRoomBlocked(this.db, input.roomId))
    )
      throw Refusals.forbidden('This room has been blocked on this server');
    // client-server-api "Server Notices": rejecting the invite to one's server notices room must fail with this errcode.
    if (
      input.action === 'leave' &&
      membership === 'invite' &&
      input.sender === input.target &&
      (await isServerNoticeRoom(this.db, input.target, input.roomId))
    ) {
      throw new RefusedError({
        status: 403,
        errcode: 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM',
        error: 'You cannot reject the invite to your server notices room',
      });
    }
    // The auth rules would let a leave be set for anyone; kicking someone who is not in the room is refused, as Synapse does.
    if (input.action === 'kick' && membership !== 'join' && membership !== 'invite' && membership !== 'knock')
      throw Refusals.forbidden(`${input.target} is not in the room`);
    const extra: JsonObject =
      input.action === 'join'
        ? { ...profileContent(await this.profiles(input.target)), ...(input.content ?? {}) }
        : { ...(input.content ?? {}) };
    delete extra.join_authorised_via_users_server; // this server alone names who vouches for its users' joins
    if (input.action === 'join' && membership !== 'invite') {
      // A restricted room (client-server-api "Restricted rooms"): a local member vouches for a user of an allowed room; without one the auth rules refuse.
      const authoriser = (await checkRestrictedJoin(draft, input.target, this.reader, this.isLocal))?.authoriser;
      if (authoriser) extra.join_authorised_via_users_server = authoriser;
    }
    return { template: membershipTemplate(input.action, input.target, input.reason, extra) };
  }

  private async planRedaction(input: RedactInput, draft: RoomHead): Promise<Plan> {
    const target = await this.db.event.findUnique({
      where: { eventId: input.redacts },
      select: { sender: true, roomNid: true },
    });
    if (target && target.roomNid !== draft.roomNid) throw Refusals.notFound('Event not found in this room');
    // client-server-api "Redactions": redacting someone else's event needs the redact level. An event this server has
    // not seen (yet) may be another server's: a moderator's redaction of it still goes out, as the rooms' auth rules
    // leave a redaction's target to be checked where it is known (v3+ "Redactions").
    if (target?.sender !== input.sender) {
      const lookup = (t: string, k: string) => draft.state.get(stateKey(t, k))?.pdu;
      const levels = parsePowerLevels(draft.version, lookup('m.room.power_levels', '')?.content);
      if (powerLevelOf(draft.version, input.sender, lookup) < levels.redact) {
        throw target
          ? Refusals.forbidden("You may not redact other users' events")
          : Refusals.notFound('Event not found in this room');
      }
    }
    const content: JsonObject = input.reason === undefined ? {} : { reason: input.reason };
    return {
      template: draft.version.redactsInContent
        ? { type: 'm.room.redaction', content: { ...content, redacts: input.redacts } }
        : { type: 'm.room.redaction', content, redacts: input.redacts },
    };
  }

  private async createRoom(input: CreateRoomInput): Promise<RoomInputReplyOf<'createRoom'>> {
    const request = input.request as CreateRoomRequest;
    const version = findRoomVersion(request.room_version ?? DEFAULT_ROOM_VERSION);
    if (!version) throw Refusals.unsupportedRoomVersion(`Room version ${request.room_version} is not supported`);
    const alias = request.room_alias_name === undefined ? undefined : `#${request.room_alias_name}:${input.serverName}`;
    if (alias !== undefined && !isValidRoomAlias(alias)) throw Refusals.invalidParam(`Invalid room alias ${alias}`);
    if (alias !== undefined && (await this.db.roomAlias.findUnique({ where: { alias } }))) throw Refusals.roomInUse();

    const templates = planCreateRoom(version, input.sender, request, alias);
    const profile = await this.profiles(input.sender);
    templates[1].content = { ...profileContent(profile), ...templates[1].content };
    const key = await this.keyring.signingKey(input.serverName);

    // Build every event on a draft head first: the whole room is persisted in one transaction or not at all.
    const now = Date.now();
    const draft = new DraftRoom(
      emptyHead(
        version,
        version.roomIdFromCreateEvent
          ? ''
          : `!${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}:${input.serverName}`,
      ),
      this.dag,
    );
    for (const template of templates) {
      const built = buildEvent(draft.head, input.sender, template, input.serverName, key, now);
      this.authorise(draft.head, built.pdu, 'M_INVALID_ROOM_STATE');
      // v12: the room ID is the create event's hash, known once the create event is built.
      if (draft.events.length === 0 && version.roomIdFromCreateEvent)
        draft.head.roomId = roomIdFromCreateEvent(version, built.pdu);
      await draft.add({ ...built, before: draft.current }, { referencedByKnownEvent: false });
    }
    const roomId = draft.head.roomId;
    const reply: RoomInputReplyOf<'createRoom'> = { ok: true, roomId };
    // A new room is routed by its creator, not by its own ID: it is written with epoch 0, so the
    // replica that owns the room's partition (whatever its epoch) becomes its writer from the next input.
    const write = draft.write(emptyHead(version, roomId), 0n);
    const entries = {
      alias: alias === undefined ? undefined : { alias, serverName: input.serverName, creator: input.sender },
      publishedOn: request.visibility === 'public' ? input.serverName : undefined,
    };
    const persisted = await this.store
      .createRoom(write, { inputId: input.inputId, reply: JSON.stringify(reply) }, entries)
      .catch((e: unknown) => {
        throw e instanceof AliasTakenError ? Refusals.roomInUse() : e;
      });
    await this.publish([write], [persisted]);
    return reply;
  }

  /**
   * Takes in a room joined through another server: the join is authorised
   * against the state send_join returned before anything is written. A room
   * this server already has just gets the join event.
   */
  private async remoteJoin(input: RemoteJoinInput, epoch: bigint): Promise<RoomInputReplyOf<'remoteJoin'>> {
    const pdu = input.pdu;
    if (await this.store.loadRoom(input.roomId)) {
      // The events missed since this server left go first, each on the state of its own prev events; the join then
      // follows them. Without them, the state send_join returned is the state before the join, whatever its prev
      // events: this server may not have them.
      const missed = (input.missed ?? []).map(({ eventId, pdu: missedPdu }, i) => ({
        input: {
          kind: 'federatedEvent' as const,
          inputId: `${input.inputId}:missed:${i}`,
          serverName: input.serverName,
          sender: missedPdu.sender,
          roomId: input.roomId,
          eventId,
          pdu: missedPdu,
        },
        epoch,
      }));
      const stateIds = input.state.map((e) => e.eventId);
      const prevStates = missed.length
        ? undefined
        : Object.fromEntries(referencedIds(pdu.prev_events).map((id) => [id, stateIds]));
      const outliers = [...input.authChain, ...input.state];
      const replies = await this.applyRun([
        ...missed,
        { input: { ...input, kind: 'federatedEvent', outliers, ...(prevStates ? { prevStates } : {}) }, epoch },
      ]);
      const reply = replies[replies.length - 1];
      if (reply.ok) await this.store.dropRemoteInvite({ roomId: input.roomId, userId: input.sender });
      return reply as RoomInputReplyOf<'federatedEvent'>;
    }
    const version = findRoomVersion(input.roomVersion);
    if (!version) throw Refusals.unsupportedRoomVersion(`Room version ${input.roomVersion} is not supported`);
    const { state, authChain } = input;
    const decision = checkEventAuth(
      version,
      pdu,
      joinAuthState(version, pdu, state, authChain, input.partial !== undefined),
    );
    if (!decision.allowed) throw Refusals.forbidden(`The join was not allowed by the room's state: ${decision.reason}`);
    const partial = input.partial && {
      joinEventId: input.eventId,
      servers: [...new Set([input.partial.joinedThrough, ...input.partial.serversInRoom])].filter(
        (s) => !this.isLocal(s),
      ),
    };
    const head = await this.store.importRoom(input.roomId, version, state, authChain, partial);
    const reply: RoomInputReplyOf<'remoteJoin'> = { ok: true, roomId: input.roomId, eventId: input.eventId };
    const draft = new DraftRoom(head, this.dag);
    await draft.add({ eventId: input.eventId, pdu, before: draft.current }, { referencedByKnownEvent: false });
    const write = draft.write(head, epoch);
    // The room now lives in the DAG tables: an invite kept for it has done its job.
    const persisted = await this.store.persistImportedJoin(
      write,
      { inputId: input.inputId, reply: JSON.stringify(reply) },
      { roomId: input.roomId, userId: input.sender },
    );
    this.heads.set(input.roomId, { head, epoch });
    await this.publish([write], [persisted]);
    return reply;
  }

  private applySingle(input: SingleInput, epoch: bigint): Promise<RoomInputReply> {
    switch (input.kind) {
      case 'createRoom':
        return this.createRoom(input);
      case 'remoteJoin':
        return this.remoteJoin(input, epoch);
      case 'storeOutliers':
        return this.storeOutliers(input, epoch);
      case 'completeState':
        return this.completeState(input, epoch);
      case 'backfill':
        return this.backfill(input, epoch);
      case 'purgeRoom':
        return this.purge(input);
    }
  }

  /** The room's rows go in one transaction; the cached head goes with them, so a later input finds no room. */
  private async purge(input: PurgeRoomInput): Promise<RoomInputReply> {
    this.heads.delete(input.roomId);
    if (!(await purgeRoom(this.db, input.roomId)))
      return { ok: false, error: { status: 404, errcode: 'M_NOT_FOUND', error: 'Unknown room' } };
    return { ok: true, roomId: input.roomId };
  }

  /** Events fetched for a partial-state room, checked by the federation-api, kept as outliers. */
  private async storeOutliers(input: StoreOutliersInput, epoch: bigint): Promise<RoomInputReplyOf<'storeOutliers'>> {
    const head = await this.head(input.roomId, epoch);
    await this.store.storeOutliers(head, input.events);
    return { ok: true, roomId: input.roomId };
  }

  /**
   * The full state before our join is stored: the room is completed (see
   * RoomStore.completeState), its cached head dropped, and sync and the
   * federation sender told.
   */
  private async completeState(input: CompleteStateInput, epoch: bigint): Promise<RoomInputReplyOf<'completeState'>> {
    const head = await this.head(input.roomId, epoch);
    // The join's and the current snapshot change under the cached head and the DAG reader's states.
    this.heads.delete(input.roomId);
    this.dag.forget();
    const position = await this.store.completeState(head, input.joinEventId, input.stateIds, (userId) =>
      this.isLocal(serverNameOf(userId) ?? ''),
    );
    if (position !== undefined) {
      await this.positions.advance('events', position);
      await this.bus.publish('output.roomStateCompleted', { roomId: input.roomId, streamPos: position.toString() });
    }
    return { ok: true, roomId: input.roomId };
  }

  /**
   * Takes in history another server sent for a client paginating back
   * (server-server-api "Backfilling"): oldest first, each event must pass
   * the auth rules against its auth events (stored, or earlier in the
   * batch); one that does not, or whose auth events are unknown, is left
   * out. The rest go before everything this server has (see storeBackfill).
   */
  private async backfill(input: BackfillInput, epoch: bigint): Promise<RoomInputReplyOf<'backfill'>> {
    const head = await this.head(input.roomId, epoch);
    const events = input.events
      .filter((e) => isEventOfRoom(head.version, e.pdu, input.roomId))
      .sort((a, b) => a.pdu.depth - b.pdu.depth);
    const stored = await this.dag.events([...new Set(events.flatMap((e) => referencedIds(e.pdu.auth_events)))]);
    const good = new Map<string, { pdu: Pdu; rejected: boolean }>(
      [...stored].map(([id, e]) => [id, { pdu: e.pdu, rejected: e.rejected }]),
    );
    const accepted: Array<{ eventId: string; pdu: Pdu }> = [];
    for (const event of events) {
      const authEvents = referencedIds(event.pdu.auth_events).map((id) => good.get(id));
      if (authEvents.some((a) => a === undefined)) continue;
      if (
        checkAgainstAuthEvents(
          head.version,
          event.pdu,
          authEvents as HeldAuthEvent[],
          head.state.get(stateKey('m.room.create', ''))?.pdu,
        )
      )
        continue;
      good.set(event.eventId, { pdu: event.pdu, rejected: false });
      accepted.push(event);
    }
    const reply: RoomInputReplyOf<'backfill'> = { ok: true, roomId: input.roomId };
    await this.store.storeBackfill(head, epoch, accepted.reverse(), [
      { inputId: input.inputId, reply: JSON.stringify(reply) },
    ]);
    return reply;
  }

  private authorise(head: RoomHead, pdu: Pdu, errcode: 'M_FORBIDDEN' | 'M_INVALID_ROOM_STATE'): void {
    const decision = checkEventAuth(head.version, pdu, (t, k) => head.state.get(stateKey(t, k))?.pdu);
    if (decision.allowed) return;
    // A client offering an event that no one could send made a bad request rather than lacking a permission.
    const refuse =
      errcode === 'M_INVALID_ROOM_STATE'
        ? Refusals.invalidRoomState
        : decision.malformed
          ? Refusals.badJson
          : Refusals.forbidden;
    throw refuse(`${decision.reason} (auth rule ${decision.rule})`);
  }

  /**
   * Raises the events position for sync, then publishes the events in
   * stream order in one call, (on NATS) in as few messages as fit them.
   * Output only wakes its consumers, each of which reads the store, so
   * neither the batch's replies nor the next batch wait for the stream to
   * acknowledge it; publishes keep their order on the connection. The
   * position is raised first, and awaited: a client that has its reply
   * finds its event in /sync.
   */
  private async publish(
    writes: RoomWrite[],
    persisted: PersistedEvent[][],
    resolved: StateEntry[][] = [],
  ): Promise<void> {
    const positions = persisted.flat().map((p) => p.streamPos);
    if (positions.length === 0) return;
    await this.positions.advance(
      'events',
      positions.reduce((a, b) => (a > b ? a : b)),
    );
    void this.bus
      .publishAll(
        'output.room',
        writes.flatMap(({ head, events }, w) =>
          persisted[w].map(({ eventId, streamPos }, i) => {
            const { pdu, gapBefore, txn } = events.find((e) => e.eventId === eventId)!;
            // State resolution's changes take the write's last position (updateCurrentState).
            const resolvedHere = i === persisted[w].length - 1 ? (resolved[w] ?? []) : [];
            const members = membershipsChangedByResolution(resolvedHere);
            return {
              roomId: head.roomId,
              roomVersion: head.version.id,
              eventId,
              streamPos: streamPos.toString(),
              pdu,
              ...(txn ? { txn: { deviceId: txn.deviceId, txnId: txn.txnId } } : {}),
              ...(pdu.type === 'm.room.member' ? { membershipOf: pdu.state_key } : {}),
              ...(members.length ? { resolvedMembershipsOf: members } : {}),
              ...(resolvedHere.length ? { stateResolved: true as const } : {}),
              ...(head.partialState ? { partialState: true } : {}),
              ...(gapBefore ? { gapBefore: true as const } : {}),
              ...(head.snapshotNid !== null ? { stateSnapshot: head.snapshotNid.toString() } : {}),
            };
          }),
        ),
      )
      .catch((e: Error) =>
        this.logger.error(`output.room not published (consumers catch up on their next read): ${e.message}`),
      );
  }

  private async head(roomId: string, epoch: bigint): Promise<RoomHead> {
    const cached = this.heads.get(roomId);
    if (cached && cached.epoch === epoch) return cached.head;
    const loaded = await this.store.loadRoom(roomId);
    if (!loaded) throw Refusals.notFound(`Room ${roomId} is not known to this server`);
    this.heads.set(roomId, { head: loaded, epoch });
    return loaded;
  }
}

/** Runs one input's work, turning a refusal into its reply; any other error fails the batch. */
async function answer<R extends RoomInputReply>(work: () => Promise<R>): Promise<R | RoomInputRefused> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof RefusedError) return { ok: false, error: e.refusal };
    throw e;
  }
}

function emptyHead(version: RoomVersion, roomId: string): RoomHead {
  return { roomNid: 0, roomId, version, state: new Map(), extremities: [], snapshotNid: null, partialState: false };
}

function isSingle(input: RoomInput): input is SingleInput {
  return (
    input.kind === 'createRoom' ||
    input.kind === 'remoteJoin' ||
    input.kind === 'backfill' ||
    input.kind === 'storeOutliers' ||
    input.kind === 'completeState' ||
    input.kind === 'purgeRoom'
  );
}

/**
 * What our join is authorised against: the state send_join returned, or,
 * when members were omitted (the joining user's own earlier membership may
 * be among them), the join's own auth events from the answer.
 */
function joinAuthState(
  version: RoomVersion,
  join: Pdu,
  state: Array<{ eventId: string; pdu: Pdu }>,
  authChain: Array<{ eventId: string; pdu: Pdu }>,
  partial: boolean,
): AuthStateLookup {
  if (!partial) {
    const byKey = new Map(state.map((e) => [stateKey(e.pdu.type, e.pdu.state_key!), e.pdu]));
    return (t, k) => byKey.get(stateKey(t, k));
  }
  const byId = new Map([...authChain, ...state].map((e) => [e.eventId, e.pdu]));
  const create = version.roomIdFromCreateEvent ? state.find((e) => e.pdu.type === 'm.room.create')?.pdu : undefined;
  return authEventsLookup(join, (id) => byId.get(id), create);
}

function profileContent(profile: { displayname?: string; avatar_url?: string } | undefined): JsonObject {
  return {
    ...(profile?.displayname ? { displayname: profile.displayname } : {}),
    ...(profile?.avatar_url ? { avatar_url: profile.avatar_url } : {}),
  };
}

/** What a client transaction's request path names besides its ID: a send's room and event type, a redaction's room and target. */
function transactionScope(input: SendInput | RedactInput): string {
  return JSON.stringify(
    input.kind === 'send' ? ['send', input.roomId, input.type] : ['redact', input.roomId, input.redacts],
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    // Content with no canonical form (a float) is never taken for stored content; building its event refuses it.
    return false;
  }
}

/**
 * A member event a client sends itself keeps join_authorised_via_users_server only where the auth
 * rules read it: a join from outside the room. Over a join it is ignored (rule 5.3.5.1), and a
 * value naming no server could never be signed for.
 */
function withoutClientAuthoriser(input: SendInput, draft: RoomHead): JsonObject {
  if (input.type !== 'm.room.member' || input.content.join_authorised_via_users_server === undefined)
    return input.content;
  if (draft.state.get(stateKey('m.room.member', input.stateKey ?? ''))?.pdu.content.membership !== 'join')
    return input.content;
  const { join_authorised_via_users_server: _ignored, ...content } = input.content;
  return content;
}
