import { Module, type Provider } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { RoomInputClient, SYNC_ROOM_READS, type SyncRoomReads } from '@lattice/rooms';
import { FilterLoader, PresenceStore } from '@lattice/streams';
import { AnswerReads } from './answer-reads';
import { HistoryBackfill } from './api/history-backfill';
import { MessagesController } from './api/messages.controller';
import { LegacySyncController } from './api/legacy-sync.controller';
import { SyncController } from './api/sync.controller';
import { CONNECTION_CACHE_PROVIDER } from './sliding/connection-cache';
import { ConnectionStore } from './sliding/connection-store';
import { DirectRoomsCache } from './sliding/direct-rooms-cache';
import { MembershipCache } from './sliding/membership-cache';
import { SlidingExtensions } from './sliding/sliding-extensions';
import { SlidingRoomBuilder } from './sliding/sliding-room-builder';
import { SlidingRoomReader } from './sliding/sliding-room-reader';
import { SlidingSyncController } from './sliding/sliding-sync.controller';
import { SlidingSyncService } from './sliding/sliding-sync-service';
import { SyncNotifier } from './notifier';
import { PresenceTracker } from './presence/presence-tracker';
import { ThreadUpdates } from './sliding/thread-updates';
import { ThreadUpdatesController } from './sliding/thread-updates.controller';
import { IgnoredUsersCache } from './streams/ignored-users-cache';
import { KeptKeyCounts } from './streams/kept-key-counts';
import { PushEvaluation } from './streams/push-evaluation';
import { KeptRoomSummaries } from './streams/kept-room-summaries';
import { KeptUserRooms } from './streams/kept-user-rooms';
import { RecentRoomEvents } from './streams/recent-room-events';
import { TypingStore } from './streams/typing-store';
import { SyncService } from './sync-service';

/** Whether presence is on is a flag of the configuration, not a provider: a factory hands it to the tracker. */
const PRESENCE_TRACKER: Provider = {
  provide: PresenceTracker,
  useFactory: (store: PresenceStore, reader: SyncRoomReads, notifier: SyncNotifier, config: LatticeConfig) =>
    new PresenceTracker(store, reader, notifier, config.presence.enabled),
  inject: [PresenceStore, SYNC_ROOM_READS, SyncNotifier, LATTICE_CONFIG],
};

/**
 * The sync service: /sync long-polls, simplified sliding sync (MSC4186), /messages and /context, and the
 * peeking APIs before /sync (/events, initialSync). Any number of workers can run it.
 */
@Module({
  controllers: [
    SyncController,
    SlidingSyncController,
    ThreadUpdatesController,
    MessagesController,
    LegacySyncController,
  ],
  providers: [
    SyncNotifier,
    TypingStore,
    IgnoredUsersCache,
    PRESENCE_TRACKER,
    SyncService,
    AnswerReads,
    KeptKeyCounts,
    KeptRoomSummaries,
    KeptUserRooms,
    PushEvaluation,
    RecentRoomEvents,
    FilterLoader,
    HistoryBackfill,
    RoomInputClient,
    CONNECTION_CACHE_PROVIDER,
    ConnectionStore,
    SlidingRoomReader,
    MembershipCache,
    DirectRoomsCache,
    SlidingRoomBuilder,
    SlidingExtensions,
    ThreadUpdates,
    SlidingSyncService,
  ],
  exports: [SyncService],
})
export class SyncModule {}
