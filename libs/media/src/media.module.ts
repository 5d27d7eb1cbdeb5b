import { Module } from '@nestjs/common';
import { ContentReferences } from './content-references';
import { DownloadController } from './download/download.controller';
import { MediaDownloads } from './download/media-downloads';
import { RemoteMedia } from './download/remote-media';
import { MediaConfigController } from './media-config.controller';
import { MediaStore } from './metadata/media-store';
import { mediaStorageProvider } from './storage/media-storage.provider';
import { MediaModeration } from './moderation/media-moderation';
import { MediaSweeper } from './moderation/media-sweeper';
import { MediaUploads } from './upload/media-uploads';
import { UploadController } from './upload/upload.controller';

/** The media service (client-server-api "Content repository"): uploads, downloads, and the storage and metadata under them. */
@Module({
  controllers: [MediaConfigController, UploadController, DownloadController],
  providers: [mediaStorageProvider, MediaStore, ContentReferences, MediaUploads, MediaDownloads, RemoteMedia, MediaModeration, MediaSweeper],
  exports: [mediaStorageProvider, MediaStore, ContentReferences, MediaUploads, MediaDownloads, RemoteMedia, MediaModeration, MediaSweeper],
})
export class MediaModule {}
