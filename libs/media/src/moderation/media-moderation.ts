import { Injectable, Logger } from '@nestjs/common';
import { ContentReferences } from '../content-references';
import { MediaStore } from '../metadata/media-store';

/**
 * What administrators do to media (the admin API calls these): quarantine
 * (never served again, bytes kept for review) and deletion (the mxc:// URI
 * answers 404 from then on, and the bytes go once nothing else names them).
 */
@Injectable()
export class MediaModeration {
  private readonly logger = new Logger(MediaModeration.name);

  constructor(
    private readonly store: MediaStore,
    private readonly references: ContentReferences,
  ) {}

  /** False when there is no such media; `by` names the admin who quarantines. */
  setQuarantined(origin: string, mediaId: string, quarantined: boolean, by?: string): Promise<boolean> {
    return this.store.setQuarantined(origin, mediaId, quarantined, by);
  }

  /** False when there was no such media. */
  async delete(origin: string, mediaId: string): Promise<boolean> {
    const record = await this.store.find(origin, mediaId);
    if (!record) return false;
    const deleted =
      record.sha256 === null
        ? await this.store.deletePending(origin, mediaId)
        : await this.references.release(origin, mediaId, record.sha256);
    if (deleted) this.logger.log(`Deleted mxc://${origin}/${mediaId}`);
    return deleted;
  }

  /** Deletes everything a user uploaded (an erased account's data, or an administrator's clean-up); returns how many were deleted. */
  async deleteUploadsOf(userId: string): Promise<number> {
    let deleted = 0;
    for (const { origin, mediaId } of await this.store.uploadedBy(userId)) {
      if (await this.delete(origin, mediaId)) deleted++;
    }
    return deleted;
  }
}
