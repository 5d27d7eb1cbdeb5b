import { Body, Controller, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Auth, Errors, Requester, validateBody } from '@lattice/http';
import { isPresenceState, PRESENCE_STATES } from '@lattice/streams';
import { slidingSyncBodySchema } from './sliding-request';
import { SlidingSyncService } from './sliding-sync-service';
import { clientGoneSignal } from '../api/client-gone';

/** Long-polls are capped as /sync's are, so proxies and clients never see a dead connection. */
const MAX_TIMEOUT_MS = 60_000;

@Controller('_matrix/client/unstable/org.matrix.simplified_msc3575')
export class SlidingSyncController {
  constructor(private readonly slidingSync: SlidingSyncService) {}

  /**
   * POST /sync (MSC4186). `pos` and `timeout` come in the query string, as
   * Synapse and Element X send them, or in the body, as the MSC's later
   * revision puts them; `timeout` only counts when there is a `pos`.
   */
  @Post('sync')
  @HttpCode(200)
  async slidingSyncRequest(
    @Auth() r: Requester,
    @Body() raw: unknown,
    @Query('pos') posParam?: string,
    @Query('timeout') timeoutParam?: string,
    @Query('set_presence') presenceParam?: string,
    @Res({ passthrough: true }) reply?: FastifyReply,
  ) {
    const body = validateBody(slidingSyncBodySchema, raw);
    const timeoutMs = timeoutParam === undefined ? (body.timeout ?? 0) : Number(timeoutParam);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
      throw Errors.invalidParam('timeout must be a non-negative number of milliseconds');
    const setPresence = presenceParam ?? body.set_presence;
    if (setPresence !== undefined && !isPresenceState(setPresence))
      throw Errors.invalidParam(`set_presence must be one of ${PRESENCE_STATES.join(', ')}`);
    const pos = posParam ?? body.pos;
    const clientGone = clientGoneSignal(reply);
    return this.slidingSync.handle({
      userId: r.userId,
      deviceId: r.deviceId,
      body,
      pos,
      timeoutMs: pos === undefined ? 0 : Math.min(timeoutMs, MAX_TIMEOUT_MS),
      setPresence,
      signal: clientGone,
    });
  }
}
