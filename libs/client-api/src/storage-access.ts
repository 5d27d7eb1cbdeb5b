import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_ROOM_READS, EventVisibility, type ClientRoomReads } from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** The client-api's read access: the shared database's Prisma client and the event store's read queries, and who may see what. */
@Injectable()
export class StorageAccess {
  constructor(
    @Inject(PRISMA) readonly db: PrismaClient,
    @Inject(CLIENT_ROOM_READS) readonly reader: ClientRoomReads,
    readonly visibility: EventVisibility,
  ) {}
}
