import { Module } from '@nestjs/common';
import { RoomInputClient } from '@lattice/rooms';
import { FilterLoader } from '@lattice/streams';
import { HistoryBackfill } from './api/history-backfill';
import { MessagesController } from './api/messages.controller';
import { LegacySyncController } from './api/legacy-sync.controller';
import { SyncController } from './api/sync.controller';
import { ConnectionStore } from './sliding/connection-store';
import { SlidingExtensions } from './sliding/sliding-extensions';
import { SlidingRoomBuilder } from './sliding/sliding-room-builder';
import { SlidingRoomReader } from './sliding/sliding-room-reader';
import { SlidingSyncController } from './sliding/sliding-sync.controller';
import { SlidingSyncService } from './sliding/sliding-sync-service';
import { ThreadUpdates } from './sliding/thread-updates';
import { PushEvaluation } from './streams/push-evaluation';
import { SyncService } from './sync-service';

/**
 * The sync service: /sync long-polls, simplified sliding sync (MSC4186), /messages and /context, and the
 * peeking APIs before /sync (/events, initialSync). Any number of workers can run it.
 */
@Module({
  controllers: [SyncController, SlidingSyncController, MessagesController, LegacySyncController],
  providers: [SyncService, PushEvaluation, FilterLoader, HistoryBackfill, RoomInputClient, ConnectionStore, SlidingRoomReader, SlidingRoomBuilder, SlidingExtensions, ThreadUpdates, SlidingSyncService],
  exports: [SyncService],
})
export class SyncModule {}
