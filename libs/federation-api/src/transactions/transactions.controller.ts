import { Body, Controller, Inject, Logger, Param, Put, UseGuards } from '@nestjs/common';
import { DeviceListStore } from '@lattice/accounts';
import { LATTICE_CONFIG, TenantDirectory, type LatticeConfig, type TenantConfig } from '@lattice/config';
import {
  checkIncomingPdu,
  fetchAuthChain,
  fetchEventsById,
  fetchStateAfter,
  FederationClient,
  memoizedKeys,
  ServerKeys,
  type RoomFetchContext,
  type VerifyKeySource,
} from '@lattice/federation';
import { Errors, MatrixError, Public, Tenant } from '@lattice/http';
import {
  computeEventId,
  getRoomVersion,
  referencedIds,
  serverNameOf,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';
import { BUS, type Bus } from '@lattice/bus';
import {
  isResident,
  loadRoomHead,
  RemoteInvites,
  RemoteKnocks,
  RoomInputClient,
  FEDERATION_ROOM_READS,
  type FederationRoomReads,
} from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { addressedMessages, ReceiptStore, ToDeviceInbox } from '@lattice/streams';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';
import { ServerAcls } from '../auth/server-acl.guard';
import { PresenceEduReceiver } from './presence-edu';

type AclCheck = ReturnType<ServerAcls['memoized']>;

/** server-server-api "Transactions": at most 50 PDUs and 100 EDUs each. */
const MAX_PDUS = 50;
const MAX_EDUS = 100;
/** How long a remote user's typing notification lasts unless renewed (the EDU carries no timeout). */
const TYPING_TIMEOUT_MS = 30_000;
/** Events fetched to fill one gap before a PDU (server-server-api get_missing_events `limit`). */
const MAX_MISSING_EVENTS = 20;
/** Transactions remembered per process for answering a retried one the same way. */
const REMEMBERED = 1_000;

/**
 * Inbound transactions (PUT /send/{txnId}): each PDU is checked (format,
 * signatures, content hash) and handed to the room-server, which authorises
 * and persists it; the answer says per event whether it was accepted. Then
 * the EDUs (typing, receipts, send-to-device, device lists). A retried transaction gets its first answer.
 */
@Controller('_matrix/federation/v1/send')
@UseGuards(FederationAuthGuard)
export class TransactionsController {
  private readonly logger = new Logger(TransactionsController.name);
  /** Absent when presence is turned off: m.presence EDUs are then ignored. */
  private readonly presence: PresenceEduReceiver | undefined;
  private readonly answered = new Map<string, Promise<JsonObject>>();

  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    private readonly keys: ServerKeys,
    private readonly rooms: RoomInputClient,
    private readonly federation: FederationClient,
    private readonly acls: ServerAcls,
    private readonly deviceLists: DeviceListStore,
    private readonly knocks: RemoteKnocks,
    private readonly invites: RemoteInvites,
    private readonly tenants: TenantDirectory,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
    private readonly receipts: ReceiptStore,
    private readonly toDevice: ToDeviceInbox,
    presence: PresenceEduReceiver,
  ) {
    this.presence = config.presence.enabled ? presence : undefined;
  }

  @Put(':txnId')
  @Public()
  receive(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('txnId') txnId: string,
    @Body() body: unknown,
  ) {
    const transaction = body as { origin?: unknown; pdus?: unknown; edus?: unknown };
    if (transaction?.origin !== origin)
      throw Errors.badJson(`The transaction's origin must be ${origin}, who signed the request`);
    if (!Array.isArray(transaction.pdus)) throw Errors.badJson('pdus must be an array');
    if (transaction.pdus.length > MAX_PDUS) throw Errors.badJson(`A transaction carries at most ${MAX_PDUS} PDUs`);
    if (transaction.edus !== undefined && (!Array.isArray(transaction.edus) || transaction.edus.length > MAX_EDUS))
      throw Errors.badJson(`edus must be an array of at most ${MAX_EDUS}`);
    const key = JSON.stringify([tenant.serverName, origin, txnId]);
    let answer = this.answered.get(key);
    if (!answer) {
      const allowed = this.acls.memoized();
      answer = this.apply(tenant, origin, transaction.pdus as Pdu[], allowed).then(async (result) => {
        // An EDU that cannot be stored fails the transaction, so its sender retries it: ill-formed ones are skipped without throwing.
        for (const edu of (transaction.edus as JsonObject[] | undefined) ?? [])
          await this.receiveEdu(tenant, origin, edu, allowed);
        return result;
      });
      if (this.answered.size >= REMEMBERED) this.answered.delete(this.answered.keys().next().value!);
      this.answered.set(key, answer);
      answer.catch(() => this.answered.delete(key));
    }
    return answer;
  }

  /**
   * Checks every PDU, then hands the good ones to the room-server all at
   * once, in order: they reach it as one batch, so a transaction costs about
   * one commit, and events of one room chain as they came.
   */
  private async apply(tenant: TenantConfig, origin: string, pdus: Pdu[], allowed: AclCheck): Promise<JsonObject> {
    const results: JsonObject = {};
    const keys = memoizedKeys(this.keys);
    // Events fetched to fill a gap go in too, but only the transaction's own PDUs are answered for (server-server-api "Transactions").
    const accepted: Array<{ eventId: string; pdu: Pdu; roomId: string; fetched?: true } & Gaps> = [];
    // A transaction's PDUs are mostly of one room: its version is read once.
    const versions = new Map<string, Promise<RoomVersion | undefined>>();
    const versionOf = (roomId: string) =>
      versions.get(roomId) ?? versions.set(roomId, this.reader.roomVersion(roomId)).get(roomId)!;
    const residency = new Map<string, Promise<boolean>>();
    const residentIn = (roomId: string) =>
      residency.get(roomId) ?? residency.set(roomId, isResident(this.reader, this.tenants, roomId)).get(roomId)!;
    for (const pdu of pdus) {
      const unnamed = typeof pdu?.event_id === 'string' ? pdu.event_id : '(unidentifiable event)';
      const version = typeof pdu?.room_id === 'string' ? await versionOf(pdu.room_id) : undefined;
      if (!version || !(await residentIn(pdu.room_id!))) {
        const taken = (await this.inviteRescinded(origin, pdu, keys)) ?? (await this.knockRejection(origin, pdu, keys));
        if (taken) results[taken] = {};
        if (!version && !taken) results[unnamed] = { error: 'This server is not in that room' };
        if (!version || taken) continue;
      }
      // server-server-api "Server Access Control Lists": a denied server's PDUs are ignored, each with an error.
      if (!(await allowed(pdu.room_id!, origin))) {
        results[eventIdOf(version, pdu) ?? unnamed] = {
          error: `${origin} is denied access to ${pdu.room_id} by the room's server ACL`,
        };
        continue;
      }
      const checked = await checkIncomingPdu(version, pdu, keys);
      if (!checked.ok) {
        results[eventIdOf(version, pdu) ?? unnamed] = { error: checked.reason };
        continue;
      }
      const known = new Set(accepted.map((a) => a.eventId));
      const ctx: RoomFetchContext = {
        client: this.federation,
        keys,
        origin: tenant.serverName,
        server: origin,
        roomId: pdu.room_id!,
        version,
      };
      // What get_missing_events brought may still not reach what this server has: each of it is placed like the PDU
      // (its own gap filled), and marked fetched so the /send answer lists only the transaction's own PDUs.
      // Which of its prev and auth events this server has, read once for both steps below.
      const stored = await this.reader.knownEventIds([
        ...referencedIds(checked.pdu.prev_events),
        ...referencedIds(checked.pdu.auth_events),
      ]);
      const missing = (
        await this.missingBefore(tenant, origin, version, checked.pdu, checked.eventId, known, stored, keys)
      ).map((earlier) => ({ ...earlier, fetched: true as const }));
      for (const event of [...missing, { eventId: checked.eventId, pdu: checked.pdu }]) {
        const gaps = await this.fillGaps(
          ctx,
          event.pdu,
          event.eventId,
          new Set(accepted.map((a) => a.eventId)),
          event.eventId === checked.eventId ? stored : undefined,
        );
        accepted.push({ ...event, roomId: pdu.room_id!, ...gaps });
      }
    }
    const outcomes = await Promise.all(
      accepted.map(({ eventId, pdu, roomId, outliers, prevStates }) =>
        this.rooms
          .submit({
            kind: 'federatedEvent',
            serverName: tenant.serverName,
            sender: pdu.sender,
            roomId,
            eventId,
            pdu,
            outliers,
            prevStates,
            rejectionIsDone: true,
          })
          .then(
            ({ rejected }) => {
              // server-server-api PUT /send/{txnId}: "If no error is present, the PDU can be considered successfully
              // handled", and "Rejection": "If an event in an incoming transaction is rejected, this should not cause
              // the transaction request to be responded to with an error response." A rejected PDU was handled (stored
              // as rejected; resending it changes nothing), so its entry is empty, as Synapse answers; an error is for
              // a PDU this server could not process (bad signature, unknown room, denied by the ACL).
              if (rejected) this.logger.debug(`${eventId} from ${origin} stored as rejected: ${rejected}`);
              return {};
            },
            (e: Error) => {
              if (e instanceof MatrixError) return { error: e.message };
              throw e;
            },
          ),
      ),
    );
    accepted.forEach(({ eventId, fetched }, i) => {
      if (!fetched) results[eventId] = outcomes[i];
    });
    return { pdus: results };
  }

  /**
   * A leave for a user of ours whose invite to a room this server is not in
   * is pending, sent by whoever invited them: the invite is rescinded, and
   * the room moves to the user's rooms.leave (an out-of-band membership: the
   * inviter's server sends it to the invitee's, server-server-api
   * "Transactions" delivers a membership to the server of its state_key).
   * Someone else's kick of an invite is not taken: only the inviter's own
   * rescission can be believed without the room's state. Returns the
   * event's ID when taken.
   */
  private async inviteRescinded(origin: string, pdu: Pdu, keys: VerifyKeySource): Promise<string | undefined> {
    if (!isLeaveOfUser(pdu)) return undefined;
    const invite = await this.invites.pending(pdu.room_id, pdu.state_key);
    if (!invite?.roomVersion || invite.pdu.sender !== pdu.sender || serverNameOf(pdu.sender) !== origin)
      return undefined;
    const checked = await checkIncomingPdu(getRoomVersion(invite.roomVersion), pdu, keys);
    if (!checked.ok) return undefined;
    await this.invites.left(checked.pdu, checked.eventId);
    return checked.eventId;
  }

  /**
   * A leave for a user of ours whose knock on a room this server is not in
   * is pending, from the server that took the knock: the room rejected the
   * knock (or kicked the knocker), and the room moves to the user's
   * rooms.leave. Returns the event's ID when taken.
   */
  private async knockRejection(origin: string, pdu: Pdu, keys: VerifyKeySource): Promise<string | undefined> {
    if (!isLeaveOfUser(pdu)) return undefined;
    const knock = await this.knocks.pending(pdu.room_id, pdu.state_key);
    if (knock?.server !== origin) return undefined;
    const checked = await checkIncomingPdu(getRoomVersion(knock.roomVersion), pdu, keys);
    if (!checked.ok) return undefined;
    await this.knocks.left(knock, checked.pdu, checked.eventId);
    return checked.eventId;
  }

  /**
   * The events between what this server has of the room and a PDU whose
   * prev_events it lacks (a server catching up after downtime may send only
   * its latest event): asked of the origin with get_missing_events, checked
   * like the PDU, oldest first. Events that fail their checks are left out.
   */
  private async missingBefore(
    tenant: TenantConfig,
    origin: string,
    version: RoomVersion,
    pdu: Pdu,
    eventId: string,
    inTransaction: Set<string>,
    stored: Set<string>,
    keys: VerifyKeySource,
  ): Promise<Array<{ eventId: string; pdu: Pdu }>> {
    const prev = referencedIds(pdu.prev_events).filter((id) => !inTransaction.has(id));
    if (prev.every((id) => stored.has(id))) return [];
    const head = await loadRoomHead(this.db, pdu.room_id!);
    const answer = await this.federation
      .request<{ events?: Pdu[] }>(
        tenant.serverName,
        origin,
        'POST',
        `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(pdu.room_id!)}`,
        {
          earliest_events: head?.extremities.map((x) => x.eventId) ?? [],
          latest_events: [eventId],
          limit: MAX_MISSING_EVENTS,
          min_depth: 0,
        },
      )
      .catch(() => ({ events: [] as Pdu[] }));
    const fetched: Array<{ eventId: string; pdu: Pdu }> = [];
    for (const event of [...(answer.events ?? [])].sort((a, b) => a.depth - b.depth)) {
      const checked = await checkIncomingPdu(version, event, keys);
      if (checked.ok && checked.eventId !== eventId && !inTransaction.has(checked.eventId))
        fetched.push({ eventId: checked.eventId, pdu: checked.pdu });
    }
    return fetched;
  }

  /**
   * What the room-server needs to place a PDU that this server still cannot
   * after get_missing_events: for each prev event it does not have, the
   * state after it (/state_ids, events fetched as needed); and the PDU's
   * auth chain when one of its auth events is unknown (/event_auth). The
   * fetched events go along as outliers.
   */
  private async fillGaps(
    ctx: RoomFetchContext,
    pdu: Pdu,
    eventId: string,
    inTransaction: Set<string>,
    /** Which of its prev and auth events were stored when the PDU came in, if the caller read it. */
    stored?: Set<string>,
  ): Promise<Gaps> {
    const known = async (ids: string[]) =>
      new Set([...(await this.reader.knownEventIds(ids)), ...ids.filter((id) => inTransaction.has(id))]);
    const prev = referencedIds(pdu.prev_events);
    const auth = referencedIds(pdu.auth_events);
    const have = stored
      ? new Set([...stored, ...[...prev, ...auth].filter((id) => inTransaction.has(id))])
      : await known([...prev, ...auth]);
    const outliers = new Map<string, { eventId: string; pdu: Pdu }>();
    const prevStates: Record<string, string[]> = {};
    for (const id of prev.filter((p) => !have.has(p))) {
      const state = await fetchStateAfter(ctx, id, known);
      if (!state) continue;
      prevStates[id] = state.stateIds;
      for (const e of state.events) outliers.set(e.eventId, e);
    }
    if (auth.some((id) => !have.has(id) && !outliers.has(id))) {
      for (const e of await fetchAuthChain(ctx, eventId)) if (!have.has(e.eventId)) outliers.set(e.eventId, e);
    }
    // A server that does not answer /event_auth may still give the events themselves (/event).
    const stillMissing = auth.filter((id) => !have.has(id) && !outliers.has(id));
    if (stillMissing.length) for (const e of await fetchEventsById(ctx, stillMissing)) outliers.set(e.eventId, e);
    return outliers.size || Object.keys(prevStates).length ? { outliers: [...outliers.values()], prevStates } : {};
  }

  /**
   * EDUs from the origin's own users: typing (m.typing) and read receipts
   * (m.receipt) in rooms they are joined to, send-to-device messages for
   * this tenant's users (m.direct_to_device) and device-list changes
   * (m.device_list_update, m.signing_key_update), and presence (m.presence, see presence-edu.ts).
   * Anything else is ignored, as the spec allows
   * for EDUs a server does not handle.
   */
  private async receiveEdu(tenant: TenantConfig, origin: string, edu: JsonObject, allowed: AclCheck): Promise<void> {
    const content = edu?.content as JsonObject | undefined;
    if (typeof content !== 'object' || content === null) return;
    const fromOrigin = (userId: unknown): userId is string =>
      typeof userId === 'string' && serverNameOf(userId) === origin;
    if (edu.edu_type === 'm.typing') {
      const { room_id: roomId, user_id: userId, typing } = content;
      if (
        typeof roomId !== 'string' ||
        !fromOrigin(userId) ||
        typeof typing !== 'boolean' ||
        !(await allowed(roomId, origin))
      )
        return;
      if ((await this.reader.membership(roomId, userId)) !== 'join') return;
      await this.bus.publish('output.typing', { roomId, userId, typing, timeoutMs: TYPING_TIMEOUT_MS });
    } else if (edu.edu_type === 'm.receipt') {
      for (const [roomId, byType] of Object.entries(content)) {
        if (!(await allowed(roomId, origin))) continue;
        const readers = ((byType as JsonObject)?.['m.read'] ?? {}) as Record<
          string,
          { event_ids?: unknown; data?: { thread_id?: unknown; ts?: unknown } }
        >;
        for (const [userId, receipt] of Object.entries(readers)) {
          const eventId = Array.isArray(receipt?.event_ids) ? receipt.event_ids[0] : undefined;
          if (
            !fromOrigin(userId) ||
            typeof eventId !== 'string' ||
            (await this.reader.membership(roomId, userId)) !== 'join'
          )
            continue;
          const threadId = typeof receipt.data?.thread_id === 'string' ? receipt.data.thread_id : '';
          const position = await this.receipts.put({ roomId, receiptType: 'm.read', userId, threadId, eventId });
          // The receipt itself goes with the change: application services receive it (MSC2409) as they do a local one.
          const ts = typeof receipt.data?.ts === 'number' ? receipt.data.ts : Date.now();
          const written = { userId, receiptType: 'm.read', eventId, ts, ...(threadId ? { threadId } : {}) };
          await this.bus.publish('output.streams', {
            stream: 'receipts',
            position: position.toString(),
            roomId,
            receipt: written,
          });
        }
      }
    } else if (edu.edu_type === 'm.direct_to_device') {
      const { sender, type, message_id: messageId, messages } = content;
      if (
        !fromOrigin(sender) ||
        typeof type !== 'string' ||
        typeof messageId !== 'string' ||
        typeof messages !== 'object' ||
        messages === null
      )
        return;
      const ours = Object.fromEntries(
        Object.entries(messages).filter(
          ([userId, devices]) =>
            serverNameOf(userId) === tenant.serverName && typeof devices === 'object' && devices !== null,
        ),
      );
      const addressed = addressedMessages(sender, type, ours as Record<string, Record<string, JsonObject>>).filter(
        (m) => typeof m.content === 'object' && m.content !== null,
      );
      // Delivered once per (origin, message_id), however often the EDU comes.
      await this.toDevice.deliver(
        addressed,
        async (tx) =>
          (await tx.inboundToDevice.createMany({ data: [{ origin, messageId }], skipDuplicates: true })).count === 1,
      );
    } else if (edu.edu_type === 'm.device_list_update') {
      const { user_id: userId, device_id: deviceId } = content;
      // Only users in a room with us matter; nothing is cached of a remote device list, so /keys/query always asks their server afresh.
      if (
        !fromOrigin(userId) ||
        typeof deviceId !== 'string' ||
        (await this.reader.roomsOfUser(userId, ['join'])).length === 0
      )
        return;
      await this.deviceLists.changed(userId, [deviceId], 'remote');
    } else if (edu.edu_type === 'm.signing_key_update') {
      // As for device lists, nothing is cached: /keys/query asks the user's server for the keys when a client looks.
      if (!fromOrigin(content.user_id) || (await this.reader.roomsOfUser(content.user_id, ['join'])).length === 0)
        return;
      await this.deviceLists.signingKeysChanged(content.user_id, 'remote', false);
    } else if (edu.edu_type === 'm.presence') {
      await this.presence?.receive(origin, content);
    }
  }
}

/** Events fetched to place a PDU, and the states after its prev events this server lacks (see fillGaps). */
interface Gaps {
  outliers?: Array<{ eventId: string; pdu: Pdu }>;
  prevStates?: Record<string, string[]>;
}

/** The ID of an event that failed its checks, if it can be computed at all. */
function eventIdOf(version: RoomVersion, pdu: Pdu): string | undefined {
  try {
    return computeEventId(version, pdu);
  } catch {
    return undefined;
  }
}

/** A membership leave naming its room and user: what may end an out-of-band invite or knock. */
function isLeaveOfUser(pdu: Pdu): pdu is Pdu & { state_key: string; room_id: string } {
  return (
    pdu?.type === 'm.room.member' &&
    pdu.content?.membership === 'leave' &&
    typeof pdu.state_key === 'string' &&
    typeof pdu.room_id === 'string'
  );
}
