import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MediaStore } from '../metadata/media-store';

const SWEEP_EVERY_MS = 60_000;

/**
 * Forgets mxc:// URIs from POST /media/v1/create that expired unused, so
 * they stop counting against their user's pending limit and their IDs are
 * not kept forever. Every media replica sweeps; deleting the same expired
 * rows twice is harmless.
 */
@Injectable()
export class PendingUploadSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PendingUploadSweeper.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: MediaStore) {}

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
    } catch (e) {
      this.logger.warn(`Sweeping expired pending uploads failed (retried in ${SWEEP_EVERY_MS / 1000} s): ${(e as Error).message}`);
    }
  }
}
