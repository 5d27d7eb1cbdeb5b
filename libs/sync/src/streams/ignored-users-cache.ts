import { Injectable } from '@nestjs/common';
import { AccountDataStore, type AccountDataEntry } from '@lattice/streams';
import { ignoredUsersOf } from './ignored-users';
import { KeptAccountData } from './kept-account-data';

/** Each syncing user's ignore list (m.ignored_user_list), kept between syncs. */
@Injectable()
export class IgnoredUsersCache extends KeptAccountData<ReadonlySet<string>> {
  constructor(store: AccountDataStore) {
    super(store, 'm.ignored_user_list', ignoredUsersOf);
  }

  /** `changes`: the user's account data changed in (since, current], as /sync read it. */
  ignoredBy(userId: string, changes: AccountDataEntry[], since: bigint, current: bigint): Promise<ReadonlySet<string>> {
    return this.read(userId, changes, since, current);
  }
}
