import { Module } from '@nestjs/common';
import { AdminGuard } from '@lattice/accounts';
import { MediaAdminController } from './admin/media-admin.controller';
import { AvatarMedia } from './admin/avatar-media';
import { RoomMedia } from './admin/room-media';
import { ContentReferences } from './content-references';
import { DownloadController } from './download/download.controller';
import { MediaAccessTimes } from './download/media-access-times';
import { MediaDownloads } from './download/media-downloads';
import { RemoteMedia } from './download/remote-media';
import { FederationMediaAuthGuard } from './federation/federation-media-auth.guard';
import { FederationMediaController } from './federation/federation-media.controller';
import { FederationRemoteMedia } from './federation/federation-remote-media';
import { RemoteMediaFetcher } from './federation/remote-media-fetcher';
import { MediaConfigController } from './media-config.controller';
import { MediaStore } from './metadata/media-store';
import { MediaModeration } from './moderation/media-moderation';
import { MediaSweeper } from './moderation/media-sweeper';
import { PreviewUrlController } from './previews/preview-url.controller';
import { UrlPreviewStore } from './previews/url-preview-store';
import { UrlPreviews } from './previews/url-previews';
import { mediaStorageProvider } from './storage/media-storage.provider';
import { MediaThumbnails } from './thumbnails/media-thumbnails';
import { ThumbnailPregenerator } from './thumbnails/thumbnail-pregenerator';
import { ThumbnailStore } from './thumbnails/thumbnail-store';
import { ThumbnailController } from './thumbnails/thumbnail.controller';
import { MediaUploads } from './upload/media-uploads';
import { UploadController } from './upload/upload.controller';

/**
 * The media service (client-server-api "Content repository"): uploads, downloads, thumbnails, URL
 * previews, other servers' media fetched over federation and ours served to them, and the storage and
 * metadata under them; and the media admin API (Synapse's), since the media store and the bytes are here.
 */
@Module({
  controllers: [
    MediaConfigController,
    UploadController,
    DownloadController,
    ThumbnailController,
    PreviewUrlController,
    FederationMediaController,
    MediaAdminController,
  ],
  providers: [
    mediaStorageProvider,
    MediaStore,
    ContentReferences,
    MediaUploads,
    MediaDownloads,
    MediaAccessTimes,
    { provide: RemoteMedia, useClass: FederationRemoteMedia },
    RemoteMediaFetcher,
    ThumbnailStore,
    MediaThumbnails,
    ThumbnailPregenerator,
    UrlPreviewStore,
    UrlPreviews,
    FederationMediaAuthGuard,
    MediaModeration,
    MediaSweeper,
    AdminGuard,
    RoomMedia,
    AvatarMedia,
  ],
  exports: [
    mediaStorageProvider,
    MediaStore,
    ContentReferences,
    MediaUploads,
    MediaDownloads,
    RemoteMedia,
    MediaThumbnails,
    ThumbnailPregenerator,
    MediaModeration,
    MediaSweeper,
  ],
})
export class MediaModule {}
