import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import {
  Auth,
  Errors,
  GuestAllowed,
  MatrixError,
  RateLimited,
  requireJsonObject,
  requireNotSuspended,
  Requester,
  Tenant,
  validateBody,
} from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import {
  mayBeThreadRoot,
  relationOf,
  RelationsReader,
  RoomInputClient,
  stateInView,
  toClientEvent,
} from '@lattice/rooms';
import { StorageAccess } from '../storage-access';
import { requireView } from './room-access';
import { reasonBody } from './room-schemas';
import { CanonicalAliasCheck } from './canonical-alias-check';

function jsonObject(raw: unknown): JsonObject {
  return requireJsonObject<JsonObject>(raw, 'Event content');
}

/** Sending events and reading state (client-server-api "Sending events to a room", "Getting events for a room"). */
@Controller('_matrix/client/v3/rooms/:roomId')
export class SendController {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly canonicalAliases: CanonicalAliasCheck,
    private readonly relations: RelationsReader,
  ) {}

  @GuestAllowed()
  @Put('send/:eventType/:txnId')
  @RateLimited()
  async send(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Param('eventType') type: string,
    @Param('txnId') txnId: string,
    @Body() raw: unknown,
    @Query('ts') ts?: string,
  ) {
    // A suspended user may still redact their own events through /send (client-server-api "Account suspension").
    if (type !== 'm.room.redaction') requireNotSuspended(r);
    const content = jsonObject(raw);
    const originServerTs = massagedTimestamp(r, ts);
    await this.checkRelation(r.userId, roomId, type, content);
    const { eventId } = await this.rooms.submit({
      kind: 'send',
      serverName: t.serverName,
      sender: r.userId,
      roomId,
      type,
      content,
      txn: { deviceId: r.deviceId, txnId },
      ...(originServerTs === undefined ? {} : { originServerTs }),
    });
    return { event_id: eventId };
  }

  /**
   * What the spec asks servers to refuse of a client's relation: a thread
   * off an event that is itself a child ("Validation of m.thread
   * relationships": 400 M_UNKNOWN, there is no specific code), and a second
   * annotation by the same user with the same type and key ("Avoiding
   * duplicate annotations": 400 M_DUPLICATE_ANNOTATION).
   */
  private async checkRelation(sender: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    const relation = relationOf(content);
    if (relation?.relType === 'm.thread') {
      const root = await this.storage.reader.event(relation.parentEventId);
      if (root && root.roomId === roomId && !mayBeThreadRoot(root.pdu.content))
        throw new MatrixError(400, 'M_UNKNOWN', 'Cannot start a thread from an event with a relationship');
    }
    if (
      relation?.key !== undefined &&
      (await this.relations.hasAnnotation(roomId, relation.parentEventId, sender, type, relation.key))
    ) {
      throw new MatrixError(400, 'M_DUPLICATE_ANNOTATION', 'You already sent this annotation');
    }
  }

  @GuestAllowed()
  @Put('state/:eventType')
  @RateLimited()
  putStateEmptyKey(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Param('eventType') type: string,
    @Body() raw: unknown,
    @Query('ts') ts?: string,
  ) {
    return this.putState(r, t, roomId, type, '', raw, ts);
  }

  @GuestAllowed()
  @Put('state/:eventType/:stateKey')
  @RateLimited()
  putStateWithKey(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Param('eventType') type: string,
    @Param('stateKey') key: string,
    @Body() raw: unknown,
    @Query('ts') ts?: string,
  ) {
    return this.putState(r, t, roomId, type, key, raw, ts);
  }

  @GuestAllowed()
  @Get('state')
  async allState(@Auth() r: Requester, @Param('roomId') roomId: string) {
    const view = await requireView(this.storage, roomId, r.userId);
    return (await stateInView(this.storage.reader, roomId, view)).map((e) => toClientEvent(e));
  }

  @GuestAllowed()
  @Get('state/:eventType')
  getStateEmptyKey(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventType') type: string,
    @Query('format') format?: string,
  ) {
    return this.getState(r, roomId, type, '', format);
  }

  @GuestAllowed()
  @Get('state/:eventType/:stateKey')
  getStateWithKey(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('eventType') type: string,
    @Param('stateKey') key: string,
    @Query('format') format?: string,
  ) {
    return this.getState(r, roomId, type, key, format);
  }

  @Put('redact/:eventId/:txnId')
  @RateLimited()
  async redact(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Param('txnId') txnId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(reasonBody, raw);
    if (r.suspended && (await this.storage.reader.event(eventId))?.pdu.sender !== r.userId)
      throw Errors.userSuspended();
    const result = await this.rooms.submit({
      kind: 'redact',
      serverName: t.serverName,
      sender: r.userId,
      roomId,
      redacts: eventId,
      reason: body.reason,
      txn: { deviceId: r.deviceId, txnId },
    });
    return { event_id: result.eventId };
  }

  private async putState(
    r: Requester,
    t: TenantConfig,
    roomId: string,
    type: string,
    stateKey: string,
    raw: unknown,
    ts: string | undefined,
  ) {
    requireNotSuspended(r);
    const content = jsonObject(raw);
    const originServerTs = massagedTimestamp(r, ts);
    if (type === 'm.room.canonical_alias' && stateKey === '')
      await this.canonicalAliases.check(t.serverName, roomId, content);
    const { eventId } = await this.rooms.submit({
      kind: 'send',
      serverName: t.serverName,
      sender: r.userId,
      roomId,
      type,
      stateKey,
      content,
      ...(originServerTs === undefined ? {} : { originServerTs }),
    });
    return { event_id: eventId };
  }

  /** `format`: content (the default) or, since v1.16, the whole event in the client format. */
  private async getState(r: Requester, roomId: string, type: string, stateKey: string, format = 'content') {
    if (format !== 'content' && format !== 'event') throw Errors.invalidParam('format must be "content" or "event"');
    const view = await requireView(this.storage, roomId, r.userId);
    const event = (await stateInView(this.storage.reader, roomId, view, type)).find(
      (e) => e.pdu.state_key === stateKey,
    );
    if (!event) throw Errors.notFound(`No ${type} state with key "${stateKey}"`);
    return format === 'event' ? toClientEvent(event) : event.pdu.content;
  }
}

/**
 * application-service-api "Timestamp massaging": an application service's `ts` becomes the event's
 * origin_server_ts; it must be a timestamp origin_server_ts can hold (400 M_INVALID_PARAM otherwise).
 * Other clients cannot set it: their `ts` is ignored.
 */
function massagedTimestamp(r: Requester, ts: string | undefined): number | undefined {
  if (ts === undefined || !r.appservice) return undefined;
  const value = /^\d{1,16}$/.test(ts) ? Number(ts) : NaN;
  if (!Number.isSafeInteger(value)) throw Errors.invalidParam('ts must be a timestamp in milliseconds');
  return value;
}
