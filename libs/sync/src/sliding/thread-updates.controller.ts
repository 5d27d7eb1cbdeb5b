import { Controller, Get, Query } from '@nestjs/common';
import { Auth, Errors, Requester } from '@lattice/http';
import { parsePaginationToken, parseSyncToken } from '@lattice/streams';
import { ignoredUsersOf } from '../streams/ignored-users';
import { SyncService } from '../sync-service';
import { ConnectionStore } from './connection-store';
import { MAX_THREADS, ThreadUpdates } from './thread-updates';

/** MSC4360's companion endpoint, under its unstable prefix (`/_matrix/client/v1/thread_updates` once stable). */
@Controller('_matrix/client/unstable/io.element.msc4360')
export class ThreadUpdatesController {
  constructor(
    private readonly threads: ThreadUpdates,
    private readonly connections: ConnectionStore,
    private readonly sync: SyncService,
  ) {}

  /**
   * GET /thread_updates (MSC4360 "Companion endpoint"): thread updates
   * across the user's joined rooms, backwards from `from` (a sliding sync
   * threads `prev_batch` or an earlier page's `next_batch`) down to `to` (the
   * `pos` of the sliding sync request that answered with that `prev_batch`,
   * or a pagination token).
   */
  @Get('thread_updates')
  async threadUpdates(
    @Auth() r: Requester,
    @Query('dir') dir?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('limit') limitParam?: string,
  ) {
    // MSC4360: only backwards pagination is specified.
    if (dir !== 'b') throw Errors.invalidParam("dir must be 'b'");
    const limit = limitParam === undefined ? MAX_THREADS : Number(limitParam);
    if (!Number.isInteger(limit) || limit <= 0) throw Errors.invalidParam('limit must be a positive integer');
    const before = from === undefined ? undefined : parsePaginationToken(from);
    const after = to === undefined ? 0n : await this.lowerBound(r, to);
    const ignored = ignoredUsersOf(await this.sync.accountData.get(r.userId, '', 'm.ignored_user_list'));
    return this.threads.page(
      { userId: r.userId, deviceId: r.deviceId, ignored },
      after,
      before,
      Math.min(limit, MAX_THREADS),
    );
  }

  /** The events position `to` names: a sliding sync `pos` of this device's, else a pagination or sync token. */
  private async lowerBound(r: Requester, to: string): Promise<bigint> {
    // A `pos` is `<generation>.<counter>`; pagination (`t<p>`) and sync (`s<p>_<p>...`) tokens have no dot.
    if (!to.includes('.')) return parsePaginationToken(to) - 1n;
    return parseSyncToken(await this.connections.sinceOf(r.userId, r.deviceId, to)).events;
  }
}
