import type { Pdu } from '@lattice/protocol';

/** The fields a room event search can look in (client-server-api "Server Side Search", search.yaml `keys`). */
export const SEARCH_KEYS = ['content.body', 'content.name', 'content.topic'] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];

/** Which key holds an event type's searchable text: a message's body, a room's name or topic. */
const KEY_OF_TYPE: Record<string, SearchKey> = {
  'm.room.message': 'content.body',
  'm.room.name': 'content.name',
  'm.room.topic': 'content.topic',
};

/** What the search index keeps of an event: the key searched and its text. */
export interface SearchableText {
  key: SearchKey;
  text: string;
}

/**
 * The text of an event that searches find, if it has any: a non-empty
 * string at its type's key. NUL characters are dropped: canonical JSON
 * allows them in strings but Postgres text does not.
 */
export function searchableText(pdu: Pdu): SearchableText | undefined {
  const key = KEY_OF_TYPE[pdu.type];
  if (!key) return undefined;
  const value = pdu.content[key.slice('content.'.length)];
  if (typeof value !== 'string') return undefined;
  const text = value.replaceAll('\u0000', '');
  return text === '' ? undefined : { key, text };
}
