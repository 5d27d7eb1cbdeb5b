import { Body, Controller, Inject, Param, Put, UseGuards } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { checkFetchedEvents, checkIncomingPdu, FederationClient, memoizedKeys, ServerKeys, type VerifyKeySource } from '@lattice/federation';
import { Errors, MatrixError, Public, Tenant } from '@lattice/http';
import { computeEventId, referencedIds, serverNameOf, type JsonObject, type Pdu, type RoomVersion } from '@lattice/protocol';
import { loadRoomHead, RoomInputClient, RoomReader } from '@lattice/room-server';
import { BUS, type Bus } from '@lattice/bus';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '@lattice/storage';
import { ReceiptStore } from '@lattice/sync';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';

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
 * the EDUs (typing, receipts). A retried transaction gets its first answer.
 */
@Controller('_matrix/federation/v1/send')
@UseGuards(FederationAuthGuard)
export class TransactionsController {
  private readonly reader: RoomReader;
  private readonly receipts: ReceiptStore;
  private readonly answered = new Map<string, Promise<JsonObject>>();

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(POSITION_CACHE) positions: PositionCache,
    private readonly keys: ServerKeys,
    private readonly rooms: RoomInputClient,
    private readonly federation: FederationClient,
  ) {
    this.reader = new RoomReader(db.prisma);
    this.receipts = new ReceiptStore(db.prisma, positions);
  }

  @Put(':txnId')
  @Public()
  receive(@Tenant() tenant: TenantConfig, @Origin() origin: string, @Param('txnId') txnId: string, @Body() body: unknown) {
    const transaction = body as { origin?: unknown; pdus?: unknown; edus?: unknown };
    if (transaction?.origin !== origin) throw Errors.badJson(`The transaction's origin must be ${origin}, who signed the request`);
    if (!Array.isArray(transaction.pdus)) throw Errors.badJson('pdus must be an array');
    if (transaction.pdus.length > MAX_PDUS) throw Errors.badJson(`A transaction carries at most ${MAX_PDUS} PDUs`);
    if (transaction.edus !== undefined && (!Array.isArray(transaction.edus) || transaction.edus.length > MAX_EDUS)) throw Errors.badJson(`edus must be an array of at most ${MAX_EDUS}`);
    const key = JSON.stringify([tenant.serverName, origin, txnId]);
    let answer = this.answered.get(key);
    if (!answer) {
      answer = this.apply(tenant, origin, transaction.pdus as Pdu[]).then(async (result) => {
        for (const edu of (transaction.edus as JsonObject[] | undefined) ?? []) await this.receiveEdu(origin, edu).catch(() => undefined);
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
  private async apply(tenant: TenantConfig, origin: string, pdus: Pdu[]): Promise<JsonObject> {
    const results: JsonObject = {};
    const keys = memoizedKeys(this.keys);
    const accepted: Array<{ eventId: string; pdu: Pdu; roomId: string }> = [];
    // A transaction's PDUs are mostly of one room: its version is read once.
    const versions = new Map<string, Promise<RoomVersion | undefined>>();
    const versionOf = (roomId: string) => versions.get(roomId) ?? versions.set(roomId, this.reader.roomVersion(roomId)).get(roomId)!;
    for (const pdu of pdus) {
      const unnamed = typeof pdu?.event_id === 'string' ? pdu.event_id : '(unidentifiable event)';
      const version = typeof pdu?.room_id === 'string' ? await versionOf(pdu.room_id) : undefined;
      if (!version) {
        results[unnamed] = { error: 'This server is not in that room' };
        continue;
      }
      const checked = await checkIncomingPdu(version, pdu, keys);
      if (!checked.ok) {
        results[eventIdOf(version, pdu) ?? unnamed] = { error: checked.reason };
        continue;
      }
      const known = new Set(accepted.map((a) => a.eventId));
      for (const earlier of await this.missingBefore(tenant, origin, version, checked.pdu, checked.eventId, known, keys)) accepted.push({ ...earlier, roomId: pdu.room_id! });
      accepted.push({ eventId: checked.eventId, pdu: checked.pdu, roomId: pdu.room_id! });
    }
    for (const roomId of new Set(accepted.map((a) => a.roomId))) {
      if (!(await this.reader.isPartialState(roomId))) continue;
      const ofRoom = accepted.filter((a) => a.roomId === roomId);
      const authEvents = await this.missingAuthEvents(tenant, origin, (await versionOf(roomId))!, ofRoom, keys);
      if (authEvents.length) await this.rooms.submit({ kind: 'storeOutliers', serverName: tenant.serverName, sender: ofRoom[0].pdu.sender, roomId, events: authEvents as never });
    }
    const outcomes = await Promise.all(
      accepted.map(({ eventId, pdu, roomId }) =>
        this.rooms.submit({ kind: 'federatedEvent', serverName: tenant.serverName, sender: pdu.sender, roomId, eventId, pdu: pdu as never }).then(
          () => ({}),
          (e: Error) => {
            if (e instanceof MatrixError) return { error: e.message };
            throw e;
          },
        ),
      ),
    );
    accepted.forEach(({ eventId }, i) => (results[eventId] = outcomes[i]));
    return { pdus: results };
  }

  /**
   * The events between what this server has of the room and a PDU whose
   * prev_events it lacks (a server catching up after downtime may send only
   * its latest event): asked of the origin with get_missing_events, checked
   * like the PDU, oldest first. Events that fail their checks are left out.
   */
  private async missingBefore(tenant: TenantConfig, origin: string, version: RoomVersion, pdu: Pdu, eventId: string, inTransaction: Set<string>, keys: VerifyKeySource): Promise<Array<{ eventId: string; pdu: Pdu }>> {
    const prev = referencedIds(pdu.prev_events).filter((id) => !inTransaction.has(id));
    const known = await this.reader.knownEventIds(prev);
    if (prev.every((id) => known.has(id))) return [];
    const head = await loadRoomHead(this.db.prisma, pdu.room_id!);
    const answer = await this.federation
      .request<{ events?: Pdu[] }>(tenant.serverName, origin, 'POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(pdu.room_id!)}`, {
        earliest_events: head?.extremities.map((x) => x.eventId) ?? [],
        latest_events: [eventId],
        limit: MAX_MISSING_EVENTS,
        min_depth: 0,
      })
      .catch(() => ({ events: [] as Pdu[] }));
    const fetched: Array<{ eventId: string; pdu: Pdu }> = [];
    for (const event of [...(answer.events ?? [])].sort((a, b) => a.depth - b.depth)) {
      const checked = await checkIncomingPdu(version, event, keys);
      if (checked.ok && checked.eventId !== eventId && !inTransaction.has(checked.eventId)) fetched.push({ eventId: checked.eventId, pdu: checked.pdu });
    }
    return fetched;
  }

  /**
   * In a partial-state room an event is authorised against its auth events
   * (the room-server's authoriseByAuthEvents), and this server may lack
   * them: the member event of a sender it has not heard of yet, most often.
   * Those are asked of the origin (/event_auth), checked like any PDU, and
   * stored as outliers before the events that need them.
   */
  private async missingAuthEvents(tenant: TenantConfig, origin: string, version: RoomVersion, events: Array<{ eventId: string; pdu: Pdu; roomId: string }>, keys: VerifyKeySource): Promise<Array<{ eventId: string; pdu: Pdu }>> {
    const inBatch = new Set(events.map((e) => e.eventId));
    const wanted = [...new Set(events.flatMap((e) => referencedIds(e.pdu.auth_events)))].filter((id) => !inBatch.has(id));
    const known = await this.reader.knownEventIds(wanted);
    const lacking = events.filter((e) => referencedIds(e.pdu.auth_events).some((id) => !inBatch.has(id) && !known.has(id)));
    if (lacking.length === 0) return [];
    const fetched: Pdu[] = [];
    for (const { roomId, eventId } of lacking) {
      const answer = await this.federation
        .request<{ auth_chain?: Pdu[] }>(tenant.serverName, origin, 'GET', `/_matrix/federation/v1/event_auth/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`)
        .catch(() => ({ auth_chain: [] as Pdu[] }));
      fetched.push(...(answer.auth_chain ?? []).filter((p) => p?.room_id === roomId));
    }
    const stored = async (ids: string[]) => new Map((await this.reader.events(ids)).map((e) => [e.eventId, e.pdu]));
    const create = version.roomIdFromCreateEvent ? (await this.reader.stateEvent(lacking[0].roomId, 'm.room.create', ''))?.pdu : undefined;
    const checked = await checkFetchedEvents(version, fetched, keys, stored, create);
    const have = await this.reader.knownEventIds(checked.map((e) => e.eventId));
    return checked.filter((e) => !have.has(e.eventId));
  }

  /**
   * EDUs about the origin's own users in rooms they are joined to: typing
   * (m.typing) and read receipts (m.receipt). Anything else is ignored, as
   * the spec allows for EDUs a server does not handle.
   */
  private async receiveEdu(origin: string, edu: JsonObject): Promise<void> {
    const content = edu.content as JsonObject | undefined;
    if (typeof content !== 'object' || content === null) return;
    const fromOrigin = (userId: unknown): userId is string => typeof userId === 'string' && serverNameOf(userId) === origin;
    if (edu.edu_type === 'm.typing') {
      const { room_id: roomId, user_id: userId, typing } = content;
      if (typeof roomId !== 'string' || !fromOrigin(userId) || typeof typing !== 'boolean') return;
      if ((await this.reader.membership(roomId, userId)) !== 'join') return;
      await this.bus.publish('output.typing', { roomId, userId, typing, timeoutMs: TYPING_TIMEOUT_MS });
    } else if (edu.edu_type === 'm.receipt') {
      for (const [roomId, byType] of Object.entries(content)) {
        const readers = ((byType as JsonObject)?.['m.read'] ?? {}) as Record<string, { event_ids?: unknown; data?: { thread_id?: unknown } }>;
        for (const [userId, receipt] of Object.entries(readers)) {
          const eventId = Array.isArray(receipt?.event_ids) ? receipt.event_ids[0] : undefined;
          if (!fromOrigin(userId) || typeof eventId !== 'string' || (await this.reader.membership(roomId, userId)) !== 'join') continue;
          const threadId = typeof receipt.data?.thread_id === 'string' ? receipt.data.thread_id : '';
          const position = await this.receipts.put({ roomId, receiptType: 'm.read', userId, threadId, eventId });
          await this.bus.publish('output.streams', { stream: 'receipts', position: position.toString(), roomId });
        }
      }
    }
  }
}

/** The ID of an event that failed its checks, if it can be computed at all. */
function eventIdOf(version: RoomVersion, pdu: Pdu): string | undefined {
  try {
    return computeEventId(version, pdu);
  } catch {
    return undefined;
  }
}
