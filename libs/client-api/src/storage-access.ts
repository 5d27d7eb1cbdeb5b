import { Inject, Injectable } from '@nestjs/common';
import { EventVisibility, RoomReader } from '@lattice/rooms';
import { DATABASE, type Database } from '@lattice/storage';

/** The client-api's read access: the shared database and the event store's read queries, and who may see what. */
@Injectable()
export class StorageAccess {
  readonly reader: RoomReader;
  readonly visibility: EventVisibility;

  constructor(@Inject(DATABASE) readonly db: Database) {
    this.reader = new RoomReader(db.prisma);
    this.visibility = new EventVisibility(db.prisma);
  }
}
