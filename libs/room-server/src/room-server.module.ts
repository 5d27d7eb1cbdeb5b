import { Inject, Injectable, Module, OnModuleInit, type Provider } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { TenantDirectory } from '@lattice/config';
import { Keyring, WRITER_ROOM_READS, type WriterRoomReads } from '@lattice/rooms';
import { POSITION_CACHE, PRISMA, type PositionCache, type PrismaClient } from '@lattice/storage';
import { DagReader } from './dag/dag-reader';
import { GuestEviction } from './input/guest-eviction';
import { RoomInputHandler } from './input/room-input-handler';
import { RoomStore } from './storage/room-store';

/** The handler takes profiles and the tenant check as functions (its tests pass their own), so a factory closes over the providers behind them. */
const ROOM_INPUT_HANDLER: Provider = {
  provide: RoomInputHandler,
  useFactory: (
    prisma: PrismaClient,
    store: RoomStore,
    keyring: Keyring,
    bus: Bus,
    accounts: AccountStore,
    positions: PositionCache,
    tenants: TenantDirectory,
    reader: WriterRoomReads,
    dag: DagReader,
    guests: GuestEviction,
  ) =>
    new RoomInputHandler(
      prisma,
      store,
      keyring,
      bus,
      (userId) => accounts.getProfile(userId),
      positions,
      (name) => tenants.isLocal(name),
      reader,
      dag,
      guests,
    ),
  inject: [
    PRISMA,
    RoomStore,
    Keyring,
    BUS,
    AccountStore,
    POSITION_CACHE,
    TenantDirectory,
    WRITER_ROOM_READS,
    DagReader,
    GuestEviction,
  ],
};

/** Serves room input from the bus: this process becomes the writer of the rooms routed to it. */
@Injectable()
export class RoomInputService implements OnModuleInit {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    private readonly handler: RoomInputHandler,
  ) {}

  onModuleInit(): void {
    this.bus.serve('room.input', (batch) => this.handler.handle(batch));
  }
}

/** The room-server service: no HTTP API of its own, it answers room input on the bus. */
@Module({ providers: [RoomStore, DagReader, GuestEviction, ROOM_INPUT_HANDLER, RoomInputService] })
export class RoomServerModule {}
