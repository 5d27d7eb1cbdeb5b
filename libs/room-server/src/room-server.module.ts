import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { BUS, type Bus } from '@lattice/bus';
import { TenantDirectory } from '@lattice/config';
import { Keyring } from '@lattice/rooms';
import { DATABASE, POSITION_CACHE, type Database, type PositionCache } from '@lattice/storage';
import { RoomInputHandler } from './input/room-input-handler';
import { RoomStore } from './storage/room-store';

/** Serves room input from the bus: this process becomes the writer of the rooms routed to it. */
@Injectable()
export class RoomInputService implements OnModuleInit {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(BUS) private readonly bus: Bus,
    private readonly keyring: Keyring,
    private readonly accounts: AccountStore,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    private readonly tenants: TenantDirectory,
  ) {}

  onModuleInit(): void {
    const handler = new RoomInputHandler(this.db.prisma, new RoomStore(this.db.prisma), this.keyring, this.bus, (userId) => this.accounts.getProfile(userId), this.positions, (name) => this.tenants.isLocal(name));
    this.bus.serve('room.input', (batch) => handler.handle(batch));
  }
}

/** The room-server service: no HTTP API of its own, it answers room input on the bus. */
@Module({ providers: [RoomInputService] })
export class RoomServerModule {}
