import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_ROOM_READS, EventVisibility, type ClientRoomReads } from '@lattice/rooms';
import { DATABASE, type Database } from '@lattice/storage';

/** The client-api's read access: the shared database and the event store's read queries, and who may see what. */
@Injectable()
export class StorageAccess {
  constructor(
    @Inject(DATABASE) readonly db: Database,
    @Inject(CLIENT_ROOM_READS) readonly reader: ClientRoomReads,
    readonly visibility: EventVisibility,
  ) {}
}
