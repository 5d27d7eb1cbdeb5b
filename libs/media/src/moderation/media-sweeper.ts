import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MediaStore } from '../metadata/media-store';
import { MediaModeration } from './media-moderation';

const SWEEP_EVERY_MS = 60_000;
/** Uploads of erased users deleted per sweep, so one sweep stays short; the next takes the rest. */
const ERASED_UPLOADS_PER_SWEEP = 500;

/**
 * The media service's periodic clean-up, in every media replica (deleting
 * what another replica just deleted is harmless):
 * - mxc:// URIs from POST /media/v1/create that expired unused are forgotten,
 *   so they stop counting against their user's pending limit;
 * - the uploads of users who deactivated with `erase: true` are deleted
 *   (client-server-api POST /account/deactivate: the server should erase the
 *   user's non-event data). They are not served from the moment of erasure
 *   (MediaDownloads checks); this removes the bytes.
 */
@Injectable()
export class MediaSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MediaSweeper.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: MediaStore,
    private readonly moderation: MediaModeration,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    try {
      const forgotten = await this.store.deleteExpiredPending(Date.now());
      if (forgotten > 0) this.logger.debug(`Forgot ${forgotten} expired pending uploads`);
      let erased = 0;
      for (const { origin, mediaId } of await this.store.uploadsOfErasedUsers(ERASED_UPLOADS_PER_SWEEP)) {
        if (await this.moderation.delete(origin, mediaId)) erased++;
      }
      if (erased > 0) this.logger.log(`Deleted ${erased} uploads of erased users`);
    } catch (e) {
      this.logger.warn(`Media clean-up failed (retried in ${SWEEP_EVERY_MS / 1000} s): ${(e as Error).message}`);
    }
  }
}
