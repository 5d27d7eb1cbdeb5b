import { Inject, Injectable, Logger } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { isUploaded } from '../metadata/media-record';
import { MediaStore } from '../metadata/media-store';
import { MediaThumbnails } from './media-thumbnails';

/**
 * Makes the configured thumbnail sizes of each uploaded image in the
 * background, one image at a time, after the upload has been answered: the
 * upload's request never waits for libvips, and a burst of uploads does not
 * take every core. Queued work is not persisted: what a restart drops is
 * made on demand by the first request for it.
 */
@Injectable()
export class ThumbnailPregenerator {
  private readonly logger = new Logger(ThumbnailPregenerator.name);
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly media: MediaStore,
    private readonly thumbnails: MediaThumbnails,
  ) {}

  uploaded(origin: string, mediaId: string): void {
    if (!this.config.media.thumbnails.pregenerate) return;
    this.queue = this.queue.then(() =>
      this.generate(origin, mediaId).catch((e: Error) =>
        this.logger.warn(`Could not pregenerate thumbnails of mxc://${origin}/${mediaId}: ${e.message}`),
      ),
    );
  }

  /** Resolves when everything queued so far is done (for tests and the bench). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async generate(origin: string, mediaId: string): Promise<void> {
    const record = await this.media.find(origin, mediaId);
    if (record && isUploaded(record)) await this.thumbnails.pregenerate(record);
  }
}
