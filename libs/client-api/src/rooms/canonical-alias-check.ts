import { Injectable } from '@nestjs/common';
import { Errors, MatrixError } from '@lattice/http';
import { isValidRoomAlias } from '@lattice/protocol';
import { AliasResolver } from '../directory/alias-resolver';
import { StorageAccess } from '../storage-access';

/** The aliases of m.room.canonical_alias content: `alias` and `alt_aliases`, whatever their types (checked later). */
export function canonicalAliasesOf(content: Record<string, unknown> | undefined): unknown[] {
  if (!content) return [];
  const alt = Array.isArray(content.alt_aliases)
    ? content.alt_aliases
    : content.alt_aliases === undefined
      ? []
      : [content.alt_aliases];
  return [...(content.alias === undefined || content.alias === null ? [] : [content.alias]), ...alt];
}

/** The aliases an update adds: those not already in the current event (client-server-api: only new ones are checked). */
export function addedAliases(current: Record<string, unknown> | undefined, next: Record<string, unknown>): unknown[] {
  const before = new Set(canonicalAliasesOf(current));
  return canonicalAliasesOf(next).filter((alias) => !before.has(alias));
}

/**
 * client-server-api PUT /state, for m.room.canonical_alias: "servers SHOULD
 * ensure that any new aliases being listed in the event are valid per their
 * grammar/syntax and that they point to the room ID where the state event
 * is to be sent" (400 M_INVALID_PARAM for bad syntax, M_BAD_ALIAS otherwise).
 */
@Injectable()
export class CanonicalAliasCheck {
  constructor(
    private readonly storage: StorageAccess,
    private readonly aliases: AliasResolver,
  ) {}

  async check(origin: string, roomId: string, content: Record<string, unknown>): Promise<void> {
    const current = (await this.storage.reader.stateEvent(roomId, 'm.room.canonical_alias', ''))?.pdu.content;
    for (const alias of addedAliases(current, content)) {
      if (typeof alias !== 'string' || !isValidRoomAlias(alias))
        throw Errors.invalidParam(`${String(alias)} is not a valid room alias`);
      const target = await this.aliases.resolve(origin, alias).catch((e: unknown) => {
        if (e instanceof MatrixError && e.errcode === 'M_NOT_FOUND') return undefined;
        throw e;
      });
      if (target?.roomId !== roomId) throw new MatrixError(400, 'M_BAD_ALIAS', `${alias} does not point to ${roomId}`);
    }
  }
}
