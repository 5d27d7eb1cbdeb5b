import type { PrismaClient } from '@lattice/storage';

/**
 * Event types and state keys as small integers (nids). Interned outside the
 * persist transaction, so a rolled-back transaction never leaves a cached
 * nid that the database does not have.
 */
export class NidInterner {
  private readonly types = new Map<string, number>();
  private readonly keys = new Map<string, number>();

  constructor(private readonly db: PrismaClient) {}

  async typeNid(type: string): Promise<number> {
    return this.intern(this.types, type, 'event_types', 'type', 'type_nid');
  }

  async stateKeyNid(stateKey: string): Promise<number> {
    return this.intern(this.keys, stateKey, 'event_state_keys', 'state_key', 'state_key_nid');
  }

  /** Many state keys at once (the members of a room's state): one insert and one read, not two per key. */
  async stateKeyNids(stateKeys: string[]): Promise<Map<string, number>> {
    const missing = [...new Set(stateKeys.filter((k) => !this.keys.has(k)))];
    if (missing.length) {
      await this.db.$executeRawUnsafe(
        'INSERT INTO event_state_keys (state_key) SELECT unnest($1::text[]) ON CONFLICT (state_key) DO NOTHING',
        missing,
      );
      const rows = await this.db.$queryRawUnsafe<Array<{ state_key: string; state_key_nid: number }>>(
        'SELECT state_key, state_key_nid FROM event_state_keys WHERE state_key = ANY($1::text[])',
        missing,
      );
      for (const row of rows) this.keys.set(row.state_key, Number(row.state_key_nid));
    }
    return new Map(stateKeys.map((k) => [k, this.keys.get(k)!]));
  }

  private async intern(
    cache: Map<string, number>,
    value: string,
    table: string,
    column: string,
    nid: string,
  ): Promise<number> {
    const cached = cache.get(value);
    if (cached !== undefined) return cached;
    await this.db.$executeRawUnsafe(
      `INSERT INTO ${table} (${column}) VALUES ($1) ON CONFLICT (${column}) DO NOTHING`,
      value,
    );
    const rows = await this.db.$queryRawUnsafe<Array<Record<string, number>>>(
      `SELECT ${nid} FROM ${table} WHERE ${column} = $1`,
      value,
    );
    const result = Number(rows[0][nid]);
    cache.set(value, result);
    return result;
  }
}
