import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, GuestAllowed, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { toClientEvent } from '@lattice/room-server';
import { StorageAccess } from '../storage-access';
import { requireView, stateInView } from './room-access';
import { RoomInputClient } from '@lattice/room-server';
import { reasonBody } from './room-schemas';
import { CanonicalAliasCheck } from './canonical-alias-check';

function jsonObject(raw: unknown): JsonObject {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw Errors.notJson('Event content must be a JSON object');
  return raw as JsonObject;
}

/** Sending events and reading state (client-server-api "Sending events to a room", "Getting events for a room"). */
@Controller('_matrix/client/v3/rooms/:roomId')
export class SendController {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly canonicalAliases: CanonicalAliasCheck,
  ) {}

  @GuestAllowed()
  @Put('send/:eventType/:txnId')
  @RateLimited()
  async send(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Param('eventType') type: string, @Param('txnId') txnId: string, @Body() raw: unknown) {
    const { eventId } = await this.rooms.submit({
      kind: 'send', serverName: t.serverName, sender: r.userId, roomId, type, content: jsonObject(raw), txn: { deviceId: r.deviceId, txnId },
    });
    return { event_id: eventId };
  }

  @GuestAllowed()
  @Put('state/:eventType')
  @RateLimited()
  putStateEmptyKey(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Param('eventType') type: string, @Body() raw: unknown) {
    return this.putState(r, t, roomId, type, '', raw);
  }

  @GuestAllowed()
  @Put('state/:eventType/:stateKey')
  @RateLimited()
  putStateWithKey(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Param('eventType') type: string, @Param('stateKey') key: string, @Body() raw: unknown) {
    return this.putState(r, t, roomId, type, key, raw);
  }

  @GuestAllowed()
  @Get('state')
  async allState(@Auth() r: Requester, @Param('roomId') roomId: string) {
    const view = await requireView(this.storage, roomId, r.userId);
    return (await stateInView(this.storage, roomId, view)).map((e) => toClientEvent(e));
  }

  @GuestAllowed()
  @Get('state/:eventType')
  getStateEmptyKey(@Auth() r: Requester, @Param('roomId') roomId: string, @Param('eventType') type: string, @Query('format') format?: string) {
    return this.getState(r, roomId, type, '', format);
  }

  @GuestAllowed()
  @Get('state/:eventType/:stateKey')
  getStateWithKey(@Auth() r: Requester, @Param('roomId') roomId: string, @Param('eventType') type: string, @Param('stateKey') key: string, @Query('format') format?: string) {
    return this.getState(r, roomId, type, key, format);
  }

  @Put('redact/:eventId/:txnId')
  @RateLimited()
  async redact(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Param('eventId') eventId: string, @Param('txnId') txnId: string, @Body() raw: unknown) {
    const body = validateBody(reasonBody, raw);
    const result = await this.rooms.submit({ kind: 'redact', serverName: t.serverName, sender: r.userId, roomId, redacts: eventId, reason: body.reason, txn: { deviceId: r.deviceId, txnId } });
    return { event_id: result.eventId };
  }

  private async putState(r: Requester, t: TenantConfig, roomId: string, type: string, stateKey: string, raw: unknown) {
    const content = jsonObject(raw);
    if (type === 'm.room.canonical_alias' && stateKey === '') await this.canonicalAliases.check(t.serverName, roomId, content);
    const { eventId } = await this.rooms.submit({ kind: 'send', serverName: t.serverName, sender: r.userId, roomId, type, stateKey, content });
    return { event_id: eventId };
  }

  /** `format`: content (the default) or, since v1.16, the whole event in the client format. */
  private async getState(r: Requester, roomId: string, type: string, stateKey: string, format = 'content') {
    if (format !== 'content' && format !== 'event') throw Errors.invalidParam('format must be "content" or "event"');
    const view = await requireView(this.storage, roomId, r.userId);
    const event = (await stateInView(this.storage, roomId, view, type)).find((e) => e.pdu.state_key === stateKey);
    if (!event) throw Errors.notFound(`No ${type} state with key "${stateKey}"`);
    return format === 'event' ? toClientEvent(event) : event.pdu.content;
  }
}
