import { randomBytes } from 'node:crypto';
import type { Bus, PartitionContext } from '@lattice/bus';
import type { CreateRoomInput, MembershipInput, RedactInput, RoomInput, RoomInputReply, SendInput } from '@lattice/contracts';
import { Errors, MatrixError } from '@lattice/http';
import {
  checkEventAuth, DEFAULT_ROOM_VERSION, findRoomVersion, isValidRoomAlias, parsePowerLevels, powerLevelOf, roomIdFromCreateEvent,
  stateKey, type JsonObject, type Pdu, type RoomVersion,
} from '@lattice/protocol';
import type { PositionCache, PrismaClient } from '@lattice/storage';
import { buildEvent, type EventTemplate } from '../event-builder';
import { planCreateRoom, type CreateRoomRequest } from '../create-room/plan-create-room';
import type { Keyring } from '../keyring';
import { StaleHeadError, type NewEvent, type RoomHead, type RoomStore } from '../storage/room-store';
import { membershipTemplate } from './membership-template';

/** Display name and avatar of a local user, for their join events. */
export type ProfileLookup = (userId: string) => Promise<{ displayname?: string; avatar_url?: string } | undefined>;

/**
 * Applies room input: builds each event, authorises it against the room's
 * current state, persists it and publishes it. The bus hands it one input
 * per partition at a time, which is what makes this the single writer of
 * each room. A cached head is valid only under the partition epoch it was
 * loaded in: a process that lost a partition and won it back reloads.
 */
export class RoomInputHandler {
  private readonly heads = new Map<string, { head: RoomHead; epoch: bigint }>();
  /** The epoch of the input being handled (inputs of one partition run one at a time). */
  private epoch = 0n;

  constructor(
    private readonly db: PrismaClient,
    private readonly store: RoomStore,
    private readonly keyring: Keyring,
    private readonly bus: Bus,
    private readonly profiles: ProfileLookup,
    private readonly positions: PositionCache,
  ) {}

  async handle(input: RoomInput, context: Pick<PartitionContext, 'epoch'> = { epoch: 0n }): Promise<RoomInputReply> {
    const previous = await this.store.processedReply(input.inputId);
    if (previous) return JSON.parse(previous) as RoomInputReply;
    this.epoch = context.epoch;
    try {
      return await this.apply(input);
    } catch (e) {
      if (!(e instanceof StaleHeadError)) throw e;
      // Another writer got in between our read and our write (a partition handover): reload and try once more.
      this.heads.delete(e.roomId);
      return await this.apply(input);
    }
  }

  private async apply(input: RoomInput): Promise<RoomInputReply> {
    try {
      switch (input.kind) {
        case 'createRoom':
          return await this.createRoom(input);
        case 'send':
          return await this.send(input);
        case 'membership':
          return await this.membership(input);
        case 'redact':
          return await this.redact(input);
      }
    } catch (e) {
      if (e instanceof MatrixError) return { ok: false, error: { status: e.status, errcode: e.errcode, error: e.message, extra: e.extra } };
      this.heads.delete('roomId' in input ? input.roomId : '');
      throw e;
    }
  }

  private async createRoom(input: CreateRoomInput): Promise<RoomInputReply> {
    const request = input.request as CreateRoomRequest;
    const version = findRoomVersion(request.room_version ?? DEFAULT_ROOM_VERSION);
    if (!version) throw Errors.unsupportedRoomVersion(`Room version ${request.room_version} is not supported`);
    const alias = request.room_alias_name === undefined ? undefined : `#${request.room_alias_name}:${input.serverName}`;
    if (alias !== undefined && !isValidRoomAlias(alias)) throw Errors.invalidParam(`Invalid room alias ${alias}`);
    if (alias !== undefined && (await this.db.roomAlias.findUnique({ where: { alias } }))) throw Errors.roomInUse();

    const templates = planCreateRoom(version, input.sender, request, alias);
    const profile = await this.profiles(input.sender);
    templates[1].content = { ...profileContent(profile), ...templates[1].content };
    const key = await this.keyring.signingKey(input.serverName);

    // Build every event on a draft head first: the whole room is persisted in one transaction or not at all.
    const now = Date.now();
    const draft = emptyHead(version, version.roomIdFromCreateEvent ? '' : `!${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}:${input.serverName}`);
    const events: NewEvent[] = [];
    for (const template of templates) {
      const built = buildEvent(draft, input.sender, template, input.serverName, key, now);
      this.authorise(draft, built.pdu, 'M_INVALID_ROOM_STATE');
      // v12: the room ID is the create event's hash, known once the create event is built.
      if (events.length === 0 && version.roomIdFromCreateEvent) draft.roomId = roomIdFromCreateEvent(version, built.pdu);
      events.push(built);
      advanceDraft(draft, built.eventId, built.pdu);
    }
    const roomId = draft.roomId;
    const head = await this.store.createRoom(roomId, version);
    const reply: RoomInputReply = { ok: true, roomId };
    // A new room is routed by its creator, not by its own ID: it is written with epoch 0, so the
    // replica that owns the room's partition (whatever its epoch) becomes its writer from the next input.
    await this.persistAndPublish(head, events, input.inputId, reply, 0n, async () => {
      if (alias !== undefined) await this.db.roomAlias.create({ data: { alias, roomId, serverName: input.serverName, creator: input.sender } });
      if (request.visibility === 'public') await this.db.publishedRoom.create({ data: { serverName: input.serverName, roomId } });
    });
    return reply;
  }

  private async send(input: SendInput): Promise<RoomInputReply> {
    if (input.txn) {
      const existing = await this.store.eventForTransaction(input.sender, input.txn.deviceId, input.txn.txnId);
      if (existing) return { ok: true, roomId: input.roomId, eventId: existing };
    }
    const template: EventTemplate = { type: input.type, content: input.content, ...(input.stateKey === undefined ? {} : { stateKey: input.stateKey }) };
    return this.sendTemplate(input, template, input.txn);
  }

  private async membership(input: MembershipInput): Promise<RoomInputReply> {
    const extra = input.action === 'join' ? { ...profileContent(await this.profiles(input.target)), ...(input.content ?? {}) } : (input.content ?? {});
    const head = await this.head(input.roomId);
    const current = head.state.get(stateKey('m.room.member', input.target))?.pdu.content.membership;
    // Joining twice, or leaving when already gone, is not an error to the client: answer with the existing event.
    if ((input.action === 'join' && current === 'join') || (input.action === 'leave' && (current === undefined || current === 'leave'))) {
      const existing = head.state.get(stateKey('m.room.member', input.target));
      return { ok: true, roomId: input.roomId, eventId: existing?.eventId };
    }
    if (input.action === 'unban' && current !== 'ban') throw Errors.forbidden(`${input.target} is not banned`);
    return this.sendTemplate(input, membershipTemplate(input.action, input.target, input.reason, extra as JsonObject));
  }

  private async redact(input: RedactInput): Promise<RoomInputReply> {
    if (input.txn) {
      const existing = await this.store.eventForTransaction(input.sender, input.txn.deviceId, input.txn.txnId);
      if (existing) return { ok: true, roomId: input.roomId, eventId: existing };
    }
    const head = await this.head(input.roomId);
    const target = await this.db.event.findUnique({ where: { eventId: input.redacts }, select: { sender: true, roomNid: true } });
    if (!target || target.roomNid !== head.roomNid) throw Errors.notFound('Event not found in this room');
    // client-server-api "Redactions": redacting someone else's event needs the redact level.
    if (target.sender !== input.sender) {
      const lookup = (t: string, k: string) => head.state.get(stateKey(t, k))?.pdu;
      const levels = parsePowerLevels(head.version, lookup('m.room.power_levels', '')?.content);
      if (powerLevelOf(head.version, input.sender, lookup) < levels.redact) throw Errors.forbidden('You may not redact other users\' events');
    }
    const content: JsonObject = input.reason === undefined ? {} : { reason: input.reason };
    const template: EventTemplate = head.version.redactsInContent
      ? { type: 'm.room.redaction', content: { ...content, redacts: input.redacts } }
      : { type: 'm.room.redaction', content, redacts: input.redacts };
    return this.sendTemplate(input, template, input.txn);
  }

  private async sendTemplate(input: SendInput | MembershipInput | RedactInput, template: EventTemplate, txn?: { deviceId: string; txnId: string }): Promise<RoomInputReply> {
    const head = await this.head(input.roomId);
    const key = await this.keyring.signingKey(input.serverName);
    const built = buildEvent(head, input.sender, template, input.serverName, key);
    this.authorise(head, built.pdu, 'M_FORBIDDEN');
    const reply: RoomInputReply = { ok: true, roomId: input.roomId, eventId: built.eventId };
    await this.persistAndPublish(head, [{ ...built, txn: txn && { userId: input.sender, ...txn } }], input.inputId, reply, this.epoch);
    return reply;
  }

  private authorise(head: RoomHead, pdu: Pdu, errcode: 'M_FORBIDDEN' | 'M_INVALID_ROOM_STATE'): void {
    const decision = checkEventAuth(head.version, pdu, (t, k) => head.state.get(stateKey(t, k))?.pdu);
    if (!decision.allowed) throw new MatrixError(errcode === 'M_FORBIDDEN' ? 403 : 400, errcode, `${decision.reason} (auth rule ${decision.rule})`);
  }

  private async persistAndPublish(head: RoomHead, events: NewEvent[], inputId: string, reply: RoomInputReply, epoch: bigint, extra?: () => Promise<void>): Promise<void> {
    const persisted = await this.store.persist(head, events, { epoch, inputId, reply: JSON.stringify(reply) });
    if (epoch === this.epoch) this.heads.set(head.roomId, { head, epoch });
    if (extra) await extra();
    await this.positions.advance('events', persisted[persisted.length - 1].streamPos);
    for (const [i, event] of events.entries()) {
      await this.bus.publish('output.room', {
        roomId: head.roomId,
        eventId: event.eventId,
        streamPos: persisted[i].streamPos.toString(),
        pdu: event.pdu,
        ...(event.pdu.type === 'm.room.member' ? { membershipOf: event.pdu.state_key } : {}),
      });
    }
  }

  private async head(roomId: string): Promise<RoomHead> {
    const cached = this.heads.get(roomId);
    if (cached && cached.epoch === this.epoch) return cached.head;
    const loaded = await this.store.loadRoom(roomId);
    if (!loaded) throw Errors.notFound(`Room ${roomId} is not known to this server`);
    this.heads.set(roomId, { head: loaded, epoch: this.epoch });
    return loaded;
  }
}

function emptyHead(version: RoomVersion, roomId: string): RoomHead {
  return { roomNid: 0, roomId, version, state: new Map(), extremities: [], snapshotNid: null };
}

/** Moves a draft head past an event that is built but not yet persisted. */
function advanceDraft(head: RoomHead, eventId: string, pdu: Pdu): void {
  if (pdu.state_key !== undefined) head.state.set(stateKey(pdu.type, pdu.state_key), { eventId, eventNid: 0n, pdu });
  head.extremities = [{ eventId, eventNid: 0n, depth: pdu.depth, sha256: pdu.hashes.sha256 }];
}

function profileContent(profile: { displayname?: string; avatar_url?: string } | undefined): JsonObject {
  return { ...(profile?.displayname ? { displayname: profile.displayname } : {}), ...(profile?.avatar_url ? { avatar_url: profile.avatar_url } : {}) };
}
