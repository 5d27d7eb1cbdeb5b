/** A row of the `media` table as the media service uses it (numbers, not BigInt: sizes and timestamps stay far below 2^53). */
export interface MediaRecord {
  origin: string;
  mediaId: string;
  tenant: string;
  uploaderUserId: string | null;
  contentType: string | null;
  uploadName: string | null;
  /** Null while an mxc:// URI from POST /media/v1/create waits for its bytes. */
  size: number | null;
  sha256: string | null;
  createdTs: number;
  uploadedTs: number | null;
  unusedExpiresAt: number | null;
  quarantined: boolean;
  /** The admin who quarantined it, when an admin did. */
  quarantinedBy: string | null;
  /** Protected by an admin: left out of bulk quarantines and of deletion by date. */
  safeFromQuarantine: boolean;
  /** The last download as last written (coalesced, see MediaAccessTimes); null: none since the upload. */
  lastAccessTs: number | null;
}

/** The bytes of a media item, once they are there. */
export interface MediaContent {
  contentType: string | null;
  uploadName: string | null;
  size: number;
  sha256: string;
}

export function isUploaded(
  record: MediaRecord,
): record is MediaRecord & { size: number; sha256: string; uploadedTs: number } {
  return record.sha256 !== null && record.size !== null && record.uploadedTs !== null;
}

/** Which thumbnail of which media: the size and method asked for, and whether animated. */
export interface ThumbnailKey {
  origin: string;
  mediaId: string;
  width: number;
  height: number;
  method: 'crop' | 'scale';
  animated: boolean;
}

/** A row of `media_thumbnails`: a thumbnail made (or fetched) for a request of its key's size. */
export interface ThumbnailRecord extends ThumbnailKey {
  contentType: string;
  actualWidth: number;
  actualHeight: number;
  size: number;
}

export type StoredThumbnail = ThumbnailRecord & { sha256: string };
