import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Auth, Errors, GuestAllowed, Requester } from '@lattice/http';
import { FilterLoader, isPresenceState, parseSyncToken, PRESENCE_STATES } from '@lattice/streams';
import { SyncService } from '../sync-service';
import { clientGoneSignal } from './client-gone';

/** Long-polls are capped so proxies and clients never see a dead connection. */
const MAX_TIMEOUT_MS = 60_000;

@Controller('_matrix/client/v3')
export class SyncController {
  constructor(
    private readonly sync: SyncService,
    private readonly filters: FilterLoader,
  ) {}

  /** GET /sync (client-server-api "Syncing"). */
  @GuestAllowed()
  @Get('sync')
  async getSync(
    @Auth() r: Requester,
    @Query('since') since?: string,
    @Query('filter') filter?: string,
    @Query('full_state') fullState?: string,
    @Query('timeout') timeout?: string,
    @Query('set_presence') setPresence?: string,
    @Res({ passthrough: true }) reply?: FastifyReply,
  ) {
    const timeoutMs = timeout === undefined ? 0 : Number(timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
      throw Errors.invalidParam('timeout must be a non-negative number of milliseconds');
    if (setPresence !== undefined && !isPresenceState(setPresence))
      throw Errors.invalidParam(`set_presence must be one of ${PRESENCE_STATES.join(', ')}`);
    const clientGone = clientGoneSignal(reply);
    return this.sync.sync({
      userId: r.userId,
      deviceId: r.deviceId,
      since: since ? parseSyncToken(since) : undefined,
      filter: filter ? await this.filters.load(r.userId, filter) : undefined,
      fullState: fullState === 'true',
      timeoutMs: Math.min(timeoutMs, MAX_TIMEOUT_MS),
      setPresence,
      signal: clientGone,
    });
  }
}
