import { Inject, Injectable } from '@nestjs/common';
import { Errors, MatrixError } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** profile.yaml keyName: m.tz or a custom key in the Common Namespaced Identifier Grammar (displayname and avatar_url are columns of their own). */
const EXTENDED_KEY = /^(m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
/** profile.yaml: "The supplied profile key exceeds the maximum allowed key length of 255 bytes." */
const MAX_KEY_BYTES = 255;
/** profile.yaml: "the total profile MUST be under 64 KiB". */
const MAX_PROFILE_BYTES = 64 * 1024;

/**
 * Extended profile fields (client-server-api "Profiles", v1.16): m.tz and
 * custom keys, kept in users.profile_fields. They are not copied into member
 * events; only displayname and avatar_url are.
 */
@Injectable()
export class ProfileFields {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The key must be one this store keeps; 400 otherwise, with the spec's codes. */
  static check(key: string): void {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new MatrixError(400, 'M_KEY_TOO_LARGE', `Profile keys are at most ${MAX_KEY_BYTES} bytes`);
    if (!EXTENDED_KEY.test(key)) throw Errors.invalidParam('Invalid profile key.');
  }

  /**
   * Sets `key`, or removes it when `value` is undefined, in one statement (two
   * clients setting different keys at once both keep theirs). The whole
   * profile, with `others` (displayname, avatar_url), must stay under 64 KiB.
   */
  async set(userId: string, key: string, value: unknown, others: JsonObject): Promise<void> {
    ProfileFields.check(key);
    const params: unknown[] = [userId, key, Buffer.byteLength(JSON.stringify(others)), MAX_PROFILE_BYTES];
    const next =
      value === undefined
        ? `profile_fields - $2`
        : `profile_fields || jsonb_build_object($2::text, $${params.push(JSON.stringify(value))}::jsonb)`;
    const updated = await this.db.$executeRawUnsafe(
      `UPDATE users SET profile_fields = ${next} WHERE user_id = $1 AND octet_length((${next})::text) + $3 < $4`,
      ...params,
    );
    if (updated === 0) throw new MatrixError(400, 'M_PROFILE_TOO_LARGE', 'The profile would exceed 64 KiB');
  }
}
