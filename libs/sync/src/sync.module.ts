import { Module } from '@nestjs/common';
import { RoomInputClient } from '@lattice/rooms';
import { FilterLoader } from '@lattice/streams';
import { HistoryBackfill } from './api/history-backfill';
import { MessagesController } from './api/messages.controller';
import { LegacySyncController } from './api/legacy-sync.controller';
import { SyncController } from './api/sync.controller';
import { SyncService } from './sync-service';

/** The sync service: /sync long-polls, /messages and /context, and the peeking APIs before /sync (/events, initialSync). Any number of workers can run it. */
@Module({ controllers: [SyncController, MessagesController, LegacySyncController], providers: [SyncService, FilterLoader, HistoryBackfill, RoomInputClient], exports: [SyncService] })
export class SyncModule {}
