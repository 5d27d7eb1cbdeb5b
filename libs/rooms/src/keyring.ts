import { Inject, Injectable } from '@nestjs/common';
import { decodeBase64, encodeBase64, generateSigningKey, signingKeyFromSeed, type SigningKey } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** Keys are published as valid for a week at a time and refreshed by re-publishing (server-server-api "Publishing Keys"). */
export const KEY_VALIDITY_MS = 7 * 24 * 3600 * 1000;

/**
 * Each tenant's ed25519 signing key, created on first use and kept in
 * signing_keys, so every process of a deployment signs with the same key.
 */
@Injectable()
export class Keyring {
  private readonly keys = new Map<string, Promise<SigningKey>>();

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  signingKey(serverName: string): Promise<SigningKey> {
    let key = this.keys.get(serverName);
    if (!key) {
      key = this.loadOrCreate(serverName);
      this.keys.set(serverName, key);
      key.catch(() => this.keys.delete(serverName));
    }
    return key;
  }

  /** Every key of a tenant, current and retired, for /_matrix/key/v2/server. */
  async publishedKeys(serverName: string) {
    return this.db.signingKey.findMany({ where: { serverName } });
  }

  private async loadOrCreate(serverName: string): Promise<SigningKey> {
    const existing = await this.current(serverName);
    if (existing) return existing;
    const fresh = generateSigningKey();
    // Two processes may race at first start: insert-if-absent, then read whichever key won.
    await this.db.$executeRawUnsafe(
      `INSERT INTO signing_keys (server_name, key_id, seed, public_key, valid_until_ts)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE server_name = $1 AND seed IS NOT NULL)`,
      serverName,
      fresh.keyId,
      encodeBase64(fresh.seed),
      fresh.publicKeyBase64,
      BigInt(Date.now() + KEY_VALIDITY_MS),
    );
    return (await this.current(serverName))!;
  }

  private async current(serverName: string): Promise<SigningKey | undefined> {
    const row = await this.db.signingKey.findFirst({
      where: { serverName, seed: { not: null }, expiredTs: null },
      orderBy: { keyId: 'asc' },
    });
    return row ? signingKeyFromSeed(row.keyId, decodeBase64(row.seed!)) : undefined;
  }
}
