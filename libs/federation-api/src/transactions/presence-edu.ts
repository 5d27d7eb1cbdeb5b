import { Inject, Injectable } from '@nestjs/common';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, type MembershipReads } from '@lattice/rooms';
import { isPresenceState, PresenceStore, type PresenceRecord } from '@lattice/streams';

/** server-server-api m.presence: one `push` entry, checked; undefined if it is malformed or about another server's user. */
export function presenceUpdateOf(
  origin: string,
  entry: unknown,
  now: number,
): { userId: string; record: PresenceRecord } | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const {
    user_id: userId,
    presence,
    status_msg: statusMsg,
    last_active_ago: ago,
    currently_active: active,
  } = entry as JsonObject;
  // A server speaks only for its own users.
  if (typeof userId !== 'string' || serverNameOf(userId) !== origin || !isPresenceState(presence)) return undefined;
  if (typeof ago !== 'number' || !Number.isInteger(ago) || ago < 0) return undefined;
  return {
    userId,
    record: {
      state: presence,
      ...(typeof statusMsg === 'string' ? { statusMsg } : {}),
      lastActiveTs: now - ago,
      // The EDU's default when absent.
      currentlyActive: active === true,
    },
  };
}

/**
 * Inbound m.presence EDUs: each update about a user of the origin who is in
 * a room here is stored (which wakes the syncs of those sharing a room with
 * them). Users in no room here are nobody's concern on this server, and
 * storing them would let a server fill the table with strangers.
 */
@Injectable()
export class PresenceEduReceiver {
  constructor(
    private readonly store: PresenceStore,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: MembershipReads,
  ) {}

  async receive(origin: string, content: JsonObject): Promise<void> {
    if (!Array.isArray(content.push)) return;
    const now = Date.now();
    for (const entry of content.push) {
      const update = presenceUpdateOf(origin, entry, now);
      if (!update || (await this.reader.roomsOfUser(update.userId, ['join'])).length === 0) continue;
      await this.store.change(update.userId, update.record);
    }
  }
}
