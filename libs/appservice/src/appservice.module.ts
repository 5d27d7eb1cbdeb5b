import { Module } from '@nestjs/common';
import { CommittedRoomEvents } from '@lattice/rooms';
import { AppserviceQueue } from './appservice-queue';
import { AppserviceRouter } from './appservice-router';
import { RoomFactsReader } from './room-facts';
import { TransactionSender } from './transaction-sender';
import { ToDeviceReader } from './to-device-reader';
import { TypingRooms } from './typing-rooms';

/**
 * The app-service sender (application-service-api "Pushing events"): queues
 * what each registered service is to receive from the output stream and
 * sends it as transactions. Serves no HTTP of its own; the client-server
 * side of application services (as_token, queries, ping, thirdparty) is in
 * the client-api.
 */
@Module({
  providers: [
    AppserviceQueue,
    CommittedRoomEvents,
    RoomFactsReader,
    ToDeviceReader,
    TypingRooms,
    TransactionSender,
    AppserviceRouter,
  ],
  exports: [AppserviceQueue],
})
export class AppserviceModule {}
