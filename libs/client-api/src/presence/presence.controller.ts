import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { Auth, Errors, RateLimited, Requester, validateBody } from '@lattice/http';
import { isValidHistoricalUserId } from '@lattice/protocol';
import { chosenPresence, PRESENCE_STATES, presenceContent, PresenceStore } from '@lattice/streams';
import { z } from 'zod';

const presenceBody = z.object({
  presence: z.enum(PRESENCE_STATES),
  // The spec types status_msg as a string; null is taken as "no message" (what GET answers with), not refused.
  status_msg: z.string().nullable().optional(),
});

/**
 * client-server-api "Presence": a user sets their own presence and reads
 * the presence of users they share a room with. With presence turned off
 * the endpoints still answer, as if everyone were offline.
 */
@Controller('_matrix/client/v3/presence/:userId/status')
export class PresenceController {
  private readonly enabled: boolean;

  constructor(
    private readonly presence: PresenceStore,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
  ) {
    this.enabled = config.presence.enabled;
  }

  @Put()
  @RateLimited()
  async set(@Auth() r: Requester, @Param('userId') userId: string, @Body() raw: unknown) {
    if (r.userId !== userId) throw Errors.forbidden('You cannot set the presence state of another user');
    const body = validateBody(presenceBody, raw);
    if (this.enabled)
      await this.presence.change(userId, chosenPresence(body.presence, body.status_msg ?? undefined, Date.now()));
    return {};
  }

  @Get()
  async get(@Auth() r: Requester, @Param('userId') userId: string) {
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam(`Not a user ID: ${userId}`);
    if (!this.enabled) return { presence: 'offline' };
    // The spec's 403: presence is "sent to interested parties where users share a room membership", and to nobody else.
    if (!(await this.presence.visibleTo(r.userId, userId)))
      throw Errors.forbidden('You are not allowed to see their presence');
    const record = await this.presence.get(userId);
    return record ? presenceContent(record, Date.now()) : { presence: 'offline' };
  }
}
