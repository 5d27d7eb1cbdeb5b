/** What an access token stands for. */
export interface TokenOwner {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  /** Locked by a server admin: every request but logout is refused (client-server-api "Account locking"). */
  locked?: true;
  /** Suspended by a server admin: joins, invites, sends and profile changes are refused (client-server-api "Account suspension"). */
  suspended?: true;
}

/** Entries kept at most: beyond it the oldest go first. */
const MAX_ENTRIES = 100_000;
/** A bound on how long an entry lives even if an invalidation were missed. */
const TTL_MS = 10 * 60_000;

/**
 * Resolved access tokens, by token hash, so a request costs no database
 * lookup for its token. Revocation drops a user's entries (in every process:
 * the AccountStore broadcasts it). A lookup that raced with a revocation is
 * not cached: `generation` moves on every revocation, and an answer read
 * under an older generation is discarded.
 */
export class TokenCache {
  private readonly entries = new Map<string, TokenOwner & { expires: number }>();
  private current = 0;

  get generation(): number {
    return this.current;
  }

  get(tokenHash: string): TokenOwner | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) {
      const { expires: _expires, ...owner } = entry;
      return owner;
    }
    this.entries.delete(tokenHash);
    return undefined;
  }

  /**
   * Caches what a lookup started under `generation` found, unless a revocation happened since. An entry
   * never outlives its token's own expiry (`tokenExpiresAt`, null for tokens that never expire), so an
   * expired token falls through to the store, which refuses it, in every process.
   */
  set(tokenHash: string, owner: TokenOwner, generation: number, tokenExpiresAt: number | null = null): void {
    if (generation !== this.current) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const ttlEnd = Date.now() + TTL_MS;
    this.entries.set(tokenHash, {
      ...owner,
      expires: tokenExpiresAt === null ? ttlEnd : Math.min(ttlEnd, tokenExpiresAt),
    });
  }

  forgetUser(userId: string): void {
    this.current++;
    for (const [hash, entry] of this.entries) if (entry.userId === userId) this.entries.delete(hash);
  }
}
