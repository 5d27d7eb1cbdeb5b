import { Injectable, Logger } from '@nestjs/common';
import { MatrixError } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { RoomInputClient } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';

/** `content` of an m.room.canonical_alias event without `alias`, or undefined when it does not name it. */
export function canonicalAliasWithout(content: JsonObject, alias: string): JsonObject | undefined {
  const alts = Array.isArray(content.alt_aliases) ? content.alt_aliases : undefined;
  if (content.alias !== alias && !alts?.includes(alias)) return undefined;
  const { alias: canonical, alt_aliases: _alts, ...rest } = content;
  const remaining = alts?.filter((a) => a !== alias);
  return {
    ...rest,
    ...(canonical === alias ? {} : { alias: canonical }),
    ...(remaining?.length ? { alt_aliases: remaining } : {}),
  };
}

/**
 * Keeps a room's m.room.canonical_alias from naming an alias deleted from the
 * directory (client-server-api DELETE /directory/room/{roomAlias}: servers may
 * update the event, and should delete the alias even when the user may not).
 */
@Injectable()
export class CanonicalAliasRemoval {
  private readonly logger = new Logger(CanonicalAliasRemoval.name);

  constructor(
    private readonly storage: StorageAccess,
    private readonly rooms: RoomInputClient,
  ) {}

  async afterDeleting(serverName: string, sender: string, roomId: string, alias: string): Promise<void> {
    const current = await this.storage.reader.stateEvent(roomId, 'm.room.canonical_alias', '');
    const content = current && canonicalAliasWithout(current.pdu.content, alias);
    if (!content) return;
    try {
      await this.rooms.submit({
        kind: 'send',
        serverName,
        sender,
        roomId,
        type: 'm.room.canonical_alias',
        stateKey: '',
        content,
      });
    } catch (e) {
      if (!(e instanceof MatrixError) || e.status !== 403) throw e;
      this.logger.debug(
        `${sender} deleted ${alias} but may not update the canonical alias of ${roomId}, which keeps naming it: ${e.message}`,
      );
    }
  }
}
