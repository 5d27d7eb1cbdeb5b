/** What a /hierarchy pagination token carries: where the next page starts, and the walk it belongs to. */
export interface HierarchyToken {
  roomId: string;
  skip: number;
  maxDepth: number;
  suggestedOnly: boolean;
}

/**
 * Tokens are self-contained (the walk is repeated and the pages before
 * skipped), so any process can answer the next page and nothing is stored.
 */
export function formatHierarchyToken(token: HierarchyToken): string {
  return Buffer.from(JSON.stringify([token.roomId, token.skip, token.maxDepth, token.suggestedOnly])).toString(
    'base64url',
  );
}

/** The token's contents, or undefined if it is not one of ours. */
export function parseHierarchyToken(raw: string): HierarchyToken | undefined {
  try {
    const [roomId, skip, maxDepth, suggestedOnly] = JSON.parse(
      Buffer.from(raw, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof roomId !== 'string' ||
      !Number.isSafeInteger(skip) ||
      !Number.isSafeInteger(maxDepth) ||
      typeof suggestedOnly !== 'boolean'
    )
      return undefined;
    if ((skip as number) < 0 || (maxDepth as number) < 0) return undefined;
    return { roomId, skip: skip as number, maxDepth: maxDepth as number, suggestedOnly };
  } catch {
    return undefined;
  }
}
