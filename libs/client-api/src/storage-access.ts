import { Inject, Injectable } from '@nestjs/common';
import { RoomReader } from '@lattice/room-server';
import { DATABASE, type Database } from '@lattice/storage';

/** The client-api's read access: the shared database and the event store's read queries. */
@Injectable()
export class StorageAccess {
  readonly reader: RoomReader;

  constructor(@Inject(DATABASE) readonly db: Database) {
    this.reader = new RoomReader(db.prisma);
  }
}
