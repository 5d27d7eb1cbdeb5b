import { Module } from '@nestjs/common';
import { MediaConfigController } from './media-config.controller';

/** The media service. For now it answers the upload configuration; storage comes with uploads. */
@Module({ controllers: [MediaConfigController] })
export class MediaModule {}
