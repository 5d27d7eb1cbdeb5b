import { Injectable, Logger } from '@nestjs/common';
import { Errors } from '@lattice/http';
import { ContentRows, MediaStore } from './metadata/media-store';
import { MediaStorage, type StoredBlob } from './storage/media-storage';
import { ThumbnailStore } from './thumbnails/thumbnail-store';

/**
 * Keeps the media rows and the content-addressed blobs in step: a blob
 * exists while some row names its hash. Naming a blob and dropping the last
 * name of one both happen under the hash's lock (MediaStore.withContentLock),
 * so an upload that deduplicated against a blob can never see it removed
 * between its write and its row.
 */
@Injectable()
export class ContentReferences {
  private readonly logger = new Logger(ContentReferences.name);

  constructor(
    private readonly store: MediaStore,
    private readonly storage: MediaStorage,
    private readonly thumbnails: ThumbnailStore,
  ) {}

  /**
   * Names a just-stored blob from a row (`write`, inside the lock). If the
   * write names nothing (false: e.g. lost a race for a pending mxc:// URI)
   * and no other row names the blob, the blob goes again.
   */
  async attach(blob: StoredBlob, write: (rows: ContentRows) => Promise<boolean>): Promise<boolean> {
    return this.store.withContentLock(blob.sha256, async (rows) => {
      const written = await write(rows);
      if (!written) {
        await this.dropIfUnnamed(rows, blob.sha256);
        return false;
      }
      // A concurrent last-name deletion may have removed the blob between our write and this lock: refuse rather than record missing bytes.
      if (!(await this.storage.exists(blob.sha256)))
        throw Errors.unknown('The upload raced with a deletion of identical content; please retry');
      return true;
    });
  }

  /** Deletes a media row and its thumbnails and, of each, the blob when it named it last. */
  async release(origin: string, mediaId: string, sha256: string): Promise<boolean> {
    for (const thumbnail of await this.thumbnails.ofMedia(origin, mediaId)) {
      await this.store.withContentLock(thumbnail.sha256, async (rows) => {
        if (await rows.deleteThumbnail(thumbnail)) await this.dropIfUnnamed(rows, thumbnail.sha256);
      });
    }
    return this.store.withContentLock(sha256, async (rows) => {
      const deleted = await rows.delete(origin, mediaId);
      if (deleted) await this.dropIfUnnamed(rows, sha256);
      return deleted;
    });
  }

  private async dropIfUnnamed(rows: ContentRows, sha256: string): Promise<void> {
    if ((await rows.count()) > 0) return;
    this.logger.debug(`Removing blob ${sha256}: no media names it any more`);
    await this.storage.delete(sha256);
  }
}
