import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { withSignatures, type CrossSigningUsage, type SignatureMap } from './cross-signing';

export type CrossSigningKeys = Partial<Record<CrossSigningUsage, JsonObject>>;

/** What /keys/query answers about cross-signing keys (user ID -> key), by field. */
export interface CrossSigningAnswer {
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
}

/**
 * Users' cross-signing keys and the signatures made with them. Signatures
 * everyone may see live in the signed JSON (device keys, master key); a
 * user-signing key's signatures of other users' master keys are kept apart,
 * shown only to the signer.
 */
@Injectable()
export class CrossSigningStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async keysOf(userId: string): Promise<CrossSigningKeys> {
    const rows = await this.db.crossSigningKey.findMany({ where: { userId } });
    return Object.fromEntries(rows.map((r) => [r.keyType, JSON.parse(r.keyJson) as JsonObject]));
  }

  /** Replaces the keys given (the others stay). */
  async replace(userId: string, keys: Record<string, { json: JsonObject; publicKey: string }>): Promise<void> {
    await this.db.$transaction(
      Object.entries(keys).map(([keyType, { json, publicKey }]) =>
        this.db.crossSigningKey.upsert({
          where: { userId_keyType: { userId, keyType } },
          create: { userId, keyType, publicKey, keyJson: JSON.stringify(json) },
          update: { publicKey, keyJson: JSON.stringify(json), updatedAt: new Date() },
        }),
      ),
    );
  }

  /** Adds the user's own (device) signatures to their master key. */
  async signMaster(userId: string, signatures: SignatureMap): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const row = await tx.crossSigningKey.findUnique({ where: { userId_keyType: { userId, keyType: 'master' } } });
      if (!row) return;
      const json = withSignatures(JSON.parse(row.keyJson) as JsonObject, userId, signatures);
      await tx.crossSigningKey.update({
        where: { userId_keyType: { userId, keyType: 'master' } },
        data: { keyJson: JSON.stringify(json) },
      });
    });
  }

  async addUserSignatures(
    signerUserId: string,
    targetUserId: string,
    targetPublicKey: string,
    signatures: SignatureMap,
  ): Promise<void> {
    await this.db.userSigningSignature.createMany({
      data: Object.entries(signatures).map(([signerKeyId, signature]) => ({
        signerUserId,
        signerKeyId,
        targetUserId,
        targetPublicKey,
        signature,
      })),
      skipDuplicates: true,
    });
  }

  /**
   * The cross-signing keys of `userIds` as `viewer` may see them: the
   * user-signing key only of the viewer themself, and master keys with the
   * viewer's own user-signing signatures added (`viewer` undefined: another
   * server asking, which sees neither).
   */
  async forQuery(userIds: string[], viewer: string | undefined): Promise<CrossSigningAnswer> {
    const answer: CrossSigningAnswer = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    if (userIds.length === 0) return answer;
    const rows = await this.db.crossSigningKey.findMany({ where: { userId: { in: userIds } } });
    for (const row of rows) {
      const json = JSON.parse(row.keyJson) as JsonObject;
      if (row.keyType === 'master') answer.master_keys[row.userId] = json;
      else if (row.keyType === 'self_signing') answer.self_signing_keys[row.userId] = json;
      else if (row.keyType === 'user_signing' && row.userId === viewer) answer.user_signing_keys[row.userId] = json;
    }
    if (viewer) await this.addViewerSignatures(answer.master_keys, viewer);
    return answer;
  }

  /** Adds `viewer`'s user-signing signatures to the master keys (local or fetched from other servers) they signed. */
  async addViewerSignatures(masterKeys: Record<string, JsonObject>, viewer: string): Promise<void> {
    const targets = Object.keys(masterKeys).filter((u) => u !== viewer);
    if (targets.length === 0) return;
    const signatures = await this.db.userSigningSignature.findMany({
      where: { signerUserId: viewer, targetUserId: { in: targets } },
    });
    for (const s of signatures) {
      const key = masterKeys[s.targetUserId];
      const publicKey = Object.values((key.keys as Record<string, string> | undefined) ?? {})[0];
      if (publicKey === s.targetPublicKey)
        masterKeys[s.targetUserId] = withSignatures(key, viewer, { [s.signerKeyId]: s.signature });
    }
  }
}
