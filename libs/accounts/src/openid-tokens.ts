import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { hashAccessToken } from './tokens';

/** How long an OpenID token proves its user's identity to a third party. */
export const OPENID_TOKEN_TTL_SECONDS = 3600;

/** OpenID tokens (client-server-api "OpenID"): issued to a user, checked for a third party over federation. */
@Injectable()
export class OpenIdTokens {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async issue(userId: string): Promise<string> {
    const token = `oid_${randomBytes(32).toString('base64url')}`;
    await this.db.openIdToken.create({
      data: {
        tokenHash: hashAccessToken(token),
        userId,
        expiresAt: new Date(Date.now() + OPENID_TOKEN_TTL_SECONDS * 1000),
      },
    });
    return token;
  }

  /** The user a token was issued to, while it has not expired. */
  async userOf(token: string): Promise<string | undefined> {
    const row = await this.db.openIdToken.findUnique({ where: { tokenHash: hashAccessToken(token) } });
    return row && row.expiresAt.getTime() > Date.now() ? row.userId : undefined;
  }
}
