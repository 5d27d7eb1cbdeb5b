import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MediaStore } from '../metadata/media-store';

/** How often gathered download times are written, and how old a stored one may be before a download counts again. */
export const ACCESS_WRITE_INTERVAL_MS = 60_000;

/**
 * Download times of media (the admin API's `last_access_ts`, and what deletion by date looks at), kept
 * cheaply: a download only notes the time in memory, and one statement a minute writes all that were
 * noted. Media whose stored time is younger than that minute is not noted at all, so a popular item costs
 * nothing per download. A time can be up to a minute late in the database, never early; the times still
 * in memory are written at shutdown.
 */
@Injectable()
export class MediaAccessTimes implements OnApplicationShutdown {
  private readonly logger = new Logger(MediaAccessTimes.name);
  private pending = new Map<string, { origin: string; mediaId: string; ts: number }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly store: MediaStore) {}

  noteDownload(media: { origin: string; mediaId: string; lastAccessTs: number | null }, now = Date.now()): void {
    if (media.lastAccessTs !== null && now - media.lastAccessTs < ACCESS_WRITE_INTERVAL_MS) return;
    this.pending.set(`${media.origin}/${media.mediaId}`, { origin: media.origin, mediaId: media.mediaId, ts: now });
    this.timer ??= setTimeout(() => void this.write(), ACCESS_WRITE_INTERVAL_MS).unref();
  }

  /** The newest time known for the media: noted here and not yet written, else the stored one. */
  lastAccess(media: { origin: string; mediaId: string; lastAccessTs: number | null }): number | null {
    return this.pending.get(`${media.origin}/${media.mediaId}`)?.ts ?? media.lastAccessTs;
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.write();
  }

  /** Writes what was noted; on failure the times are put back to be written with the next batch. */
  async write(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    try {
      await this.store.recordAccess([...batch.values()]);
    } catch (e) {
      this.logger.warn(`Writing ${batch.size} media access times failed, retrying later: ${(e as Error).message}`);
      for (const [key, access] of batch) if (!this.pending.has(key)) this.pending.set(key, access);
      this.timer ??= setTimeout(() => void this.write(), ACCESS_WRITE_INTERVAL_MS).unref();
    }
  }
}
