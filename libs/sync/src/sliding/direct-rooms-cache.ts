import { Injectable } from '@nestjs/common';
import { AccountDataStore, type AccountDataEntry } from '@lattice/streams';
import { KeptAccountData } from '../streams/kept-account-data';

/** Each sliding sync user's DM rooms: those named in their m.direct account data (client-server-api "Direct Messaging"). */
@Injectable()
export class DirectRoomsCache extends KeptAccountData<ReadonlySet<string>> {
  constructor(store: AccountDataStore) {
    super(store, 'm.direct', directRoomsOf);
  }

  /** `changes`: the user's account data changed in (since, current], as the answer read it. */
  directRooms(
    userId: string,
    changes: AccountDataEntry[],
    since: bigint,
    current: bigint,
  ): Promise<ReadonlySet<string>> {
    return this.read(userId, changes, since, current);
  }
}

function directRoomsOf(content: Record<string, unknown> | undefined): ReadonlySet<string> {
  const rooms = new Set<string>();
  for (const ids of Object.values(content ?? {}))
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') rooms.add(id);
  return rooms;
}
