import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient } from '@lattice/storage';
import type { StoredThumbnail, ThumbnailKey } from '../metadata/media-record';

/** Reads the `media_thumbnails` table; rows are written and deleted under their content's lock (ContentRows). */
@Injectable()
export class ThumbnailStore {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async find(key: ThumbnailKey): Promise<StoredThumbnail | undefined> {
    const row = await this.prisma.mediaThumbnail.findUnique({
      where: { origin_mediaId_width_height_method_animated: key },
    });
    return row ? toThumbnail(row) : undefined;
  }

  /** Every thumbnail of one media item. */
  async ofMedia(origin: string, mediaId: string): Promise<StoredThumbnail[]> {
    return (await this.prisma.mediaThumbnail.findMany({ where: { origin, mediaId } })).map(toThumbnail);
  }
}

function toThumbnail(row: Prisma.MediaThumbnailGetPayload<object>): StoredThumbnail {
  return {
    origin: row.origin,
    mediaId: row.mediaId,
    width: row.width,
    height: row.height,
    method: row.method === 'crop' ? 'crop' : 'scale',
    animated: row.animated,
    contentType: row.contentType,
    actualWidth: row.actualWidth,
    actualHeight: row.actualHeight,
    size: Number(row.size),
    sha256: row.sha256,
  };
}
