import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { CommittedRoomEvents } from '@lattice/rooms';
import { KeptRoomPushContexts } from './kept-room-push-contexts';
import { NotificationRecorder } from './notification-recorder';
import { PushCatchUp } from './push-catch-up';
import { PushGatewayClient } from './push-gateway-client';
import { PusherDelivery } from './pusher-delivery';
import { RoomPushContextReader } from './room-push-context';

/** The durable consumer of output.room that every push replica shares: each event is evaluated by one of them. */
export const PUSH_CONSUMER = 'push';

/**
 * The push service: evaluates every new event's push rules for the room's
 * local members (notification rows, unread counts) and delivers pushes to
 * push gateways. Any number of replicas: they share one durable consumer of
 * the room output and lease pushers from each other.
 */
@Module({
  providers: [
    RoomPushContextReader,
    KeptRoomPushContexts,
    NotificationRecorder,
    PushGatewayClient,
    PusherDelivery,
    CommittedRoomEvents,
    PushCatchUp,
  ],
})
export class PushModule implements OnModuleInit {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    private readonly recorder: NotificationRecorder,
    private readonly delivery: PusherDelivery,
    private readonly catchUp: PushCatchUp,
  ) {}

  /** Startup waits for the durable consumer: once the process is up, no event is missed. */
  async onModuleInit(): Promise<void> {
    // In one process, what was committed before the last stop and not evaluated goes first.
    if (this.config.bus.kind === 'in-process' && (await this.catchUp.run())) this.delivery.wake();
    // The pushes of a large room that a stop left half queued.
    if (await this.recorder.queuePendingPushes()) this.delivery.wake();
    await this.bus.consumeDurableBatches('output.room', PUSH_CONSUMER, async (events) => {
      if (await this.recorder.recordAll(events)) this.delivery.wake();
    });
  }
}
