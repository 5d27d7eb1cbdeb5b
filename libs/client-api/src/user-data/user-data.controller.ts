import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { Auth, Errors, GuestAllowed, RateLimited, Requester, requireJsonObject, validateBody } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { RelationsReader } from '@lattice/rooms';
import { AccountDataStore, filterIdOf, parseFilter, ReceiptStore } from '@lattice/streams';
import { z } from 'zod';
import { StorageAccess } from '../storage-access';
import { threadedReceiptError } from './threaded-receipt';

const typingBody = z.object({ typing: z.boolean(), timeout: z.number().int().nonnegative().optional() });
const receiptBody = z.object({ thread_id: z.string().optional() });
const readMarkersBody = z.object({
  'm.fully_read': z.string().optional(),
  'm.read': z.string().optional(),
  'm.read.private': z.string().optional(),
});
const tagBody = z.looseObject({ order: z.number().min(0).max(1).optional() });

/** Account data managed by dedicated endpoints, which clients may not set through /account_data (client-server-api). */
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);

/**
 * The per-user streams a client writes: filters, account data and tags,
 * typing, receipts and read markers. Writes land in the store (or, for
 * typing, on the bus) and wake the user's sync long-polls.
 */
@Controller('_matrix/client/v3')
export class UserDataController {
  constructor(
    private readonly storage: StorageAccess,
    @Inject(BUS) private readonly bus: Bus,
    private readonly accountData: AccountDataStore,
    private readonly receipts: ReceiptStore,
    private readonly relations: RelationsReader,
  ) {}

  @GuestAllowed()
  @Post('user/:userId/filter')
  @HttpCode(200)
  async createFilter(@Auth() r: Requester, @Param('userId') userId: string, @Body() raw: unknown) {
    this.requireSelf(r, userId);
    const json = JSON.stringify(parseFilter(JSON.stringify(requireJsonObject(raw))));
    const filterId = await this.storage.db.$transaction(async (tx) => {
      const last = await tx.filter.findFirst({ where: { userId }, orderBy: { filterId: 'desc' } });
      const id = (last?.filterId ?? -1) + 1;
      await tx.filter.create({ data: { userId, filterId: id, json } });
      return id;
    });
    return { filter_id: String(filterId) };
  }

  @GuestAllowed()
  @Get('user/:userId/filter/:filterId')
  async getFilter(@Auth() r: Requester, @Param('userId') userId: string, @Param('filterId') filterId: string) {
    this.requireSelf(r, userId);
    const id = filterIdOf(filterId);
    const row =
      id === undefined
        ? null
        : await this.storage.db.filter.findUnique({ where: { userId_filterId: { userId, filterId: id } } });
    if (!row) throw Errors.notFound('Filter not found');
    return JSON.parse(row.json);
  }

  @Put('user/:userId/account_data/:type')
  async putGlobal(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('type') type: string,
    @Body() raw: unknown,
  ) {
    return this.putAccountData(r, userId, '', type, requireJsonObject<JsonObject>(raw));
  }

  @Get('user/:userId/account_data/:type')
  async getGlobal(@Auth() r: Requester, @Param('userId') userId: string, @Param('type') type: string) {
    return this.getAccountData(r, userId, '', type);
  }

  @Put('user/:userId/rooms/:roomId/account_data/:type')
  async putRoom(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('roomId') roomId: string,
    @Param('type') type: string,
    @Body() raw: unknown,
  ) {
    return this.putAccountData(r, userId, roomId, type, requireJsonObject<JsonObject>(raw));
  }

  @Get('user/:userId/rooms/:roomId/account_data/:type')
  async getRoom(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('roomId') roomId: string,
    @Param('type') type: string,
  ) {
    return this.getAccountData(r, userId, roomId, type);
  }

  /** Tags are the m.tag room account data (client-server-api "Room Tagging"). */
  @Get('user/:userId/rooms/:roomId/tags')
  async tags(@Auth() r: Requester, @Param('userId') userId: string, @Param('roomId') roomId: string) {
    this.requireSelf(r, userId);
    return { tags: (await this.accountData.get(userId, roomId, 'm.tag'))?.tags ?? {} };
  }

  @Put('user/:userId/rooms/:roomId/tags/:tag')
  async putTag(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('roomId') roomId: string,
    @Param('tag') tag: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(tagBody, raw);
    const tags = await this.currentTags(r, userId, roomId);
    await this.writeAccountData(userId, roomId, 'm.tag', { tags: { ...tags, [tag]: body as JsonObject } });
    return {};
  }

  @Delete('user/:userId/rooms/:roomId/tags/:tag')
  async deleteTag(
    @Auth() r: Requester,
    @Param('userId') userId: string,
    @Param('roomId') roomId: string,
    @Param('tag') tag: string,
  ) {
    const { [tag]: _removed, ...tags } = await this.currentTags(r, userId, roomId);
    await this.writeAccountData(userId, roomId, 'm.tag', { tags });
    return {};
  }

  @Put('rooms/:roomId/typing/:userId')
  @RateLimited()
  async typing(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('userId') userId: string,
    @Body() raw: unknown,
  ) {
    this.requireSelf(r, userId);
    const body = validateBody(typingBody, raw);
    await this.requireJoined(roomId, userId);
    await this.bus.publish('output.typing', { roomId, userId, typing: body.typing, timeoutMs: body.timeout ?? 30_000 });
    return {};
  }

  @Post('rooms/:roomId/receipt/:receiptType/:eventId')
  @HttpCode(200)
  @RateLimited()
  async receipt(
    @Auth() r: Requester,
    @Param('roomId') roomId: string,
    @Param('receiptType') type: string,
    @Param('eventId') eventId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(receiptBody, raw);
    if (!['m.read', 'm.read.private', 'm.fully_read'].includes(type))
      throw Errors.invalidParam(`Unknown receipt type ${type}`);
    await this.requireJoined(roomId, r.userId);
    const threadError = threadedReceiptError(
      type,
      body.thread_id,
      eventId,
      body.thread_id === undefined ? undefined : await this.relations.threadOf(eventId),
    );
    if (threadError) throw Errors.invalidParam(threadError);
    if (type === 'm.fully_read') await this.writeAccountData(r.userId, roomId, 'm.fully_read', { event_id: eventId });
    else await this.writeReceipt(r.userId, roomId, type, eventId, body.thread_id ?? '');
    return {};
  }

  @Post('rooms/:roomId/read_markers')
  @HttpCode(200)
  @RateLimited()
  async readMarkers(@Auth() r: Requester, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(readMarkersBody, raw);
    await this.requireJoined(roomId, r.userId);
    if (body['m.fully_read'])
      await this.writeAccountData(r.userId, roomId, 'm.fully_read', { event_id: body['m.fully_read'] });
    for (const type of ['m.read', 'm.read.private'] as const) {
      const eventId = body[type];
      if (eventId) await this.writeReceipt(r.userId, roomId, type, eventId, '');
    }
    return {};
  }

  private async putAccountData(r: Requester, userId: string, roomId: string, type: string, content: JsonObject) {
    this.requireSelf(r, userId);
    if (SERVER_MANAGED.has(type)) throw Errors.badJson(`${type} is managed by the server; use its own endpoint`);
    await this.writeAccountData(userId, roomId, type, content);
    return {};
  }

  private async getAccountData(r: Requester, userId: string, roomId: string, type: string) {
    this.requireSelf(r, userId);
    const content = await this.accountData.get(userId, roomId, type);
    if (!content) throw Errors.notFound('Account data not found');
    return content;
  }

  private async writeAccountData(userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    const position = await this.accountData.put(userId, roomId, type, content);
    await this.bus.publish('output.streams', {
      stream: 'accountData',
      position: position.toString(),
      userIds: [userId],
    });
  }

  private async writeReceipt(
    userId: string,
    roomId: string,
    receiptType: string,
    eventId: string,
    threadId: string,
  ): Promise<void> {
    const position = await this.receipts.put({ roomId, receiptType, userId, threadId, eventId });
    const receipt = { userId, receiptType, eventId, ts: Date.now(), ...(threadId ? { threadId } : {}) };
    await this.bus.publish('output.streams', { stream: 'receipts', position: position.toString(), roomId, receipt });
  }

  private async currentTags(r: Requester, userId: string, roomId: string): Promise<JsonObject> {
    this.requireSelf(r, userId);
    return ((await this.accountData.get(userId, roomId, 'm.tag'))?.tags as JsonObject | undefined) ?? {};
  }

  private requireSelf(r: Requester, userId: string): void {
    if (r.userId !== userId) throw Errors.forbidden('You can only access your own data');
  }

  private async requireJoined(roomId: string, userId: string): Promise<void> {
    if ((await this.storage.reader.membership(roomId, userId)) !== 'join')
      throw Errors.forbidden(`You are not joined to ${roomId}`);
  }
}
