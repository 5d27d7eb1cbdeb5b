import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { hashAccessToken, tokenExpired } from './tokens';

/** How long a login token from POST /login/get_token can be used: the spec recommends 2 minutes. */
export const LOGIN_TOKEN_TTL_MS = 120_000;

/**
 * Login tokens (client-server-api POST /login/get_token, the m.login.token login type): short-lived,
 * single use, stored as their SHA-256 like access tokens.
 */
@Injectable()
export class LoginTokens {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async issue(userId: string): Promise<{ token: string; expiresInMs: number }> {
    const token = `latl_${randomBytes(32).toString('base64url')}`;
    await this.db.loginToken.create({
      data: { tokenHash: hashAccessToken(token), userId, expiresAt: new Date(Date.now() + LOGIN_TOKEN_TTL_MS) },
    });
    return { token, expiresInMs: LOGIN_TOKEN_TTL_MS };
  }

  /**
   * The user a token was issued to, consuming it; undefined when it is unknown, used or expired. The
   * deletion decides: of two logins racing with one token, only the one whose delete found the row wins.
   */
  async consume(token: string): Promise<string | undefined> {
    const tokenHash = hashAccessToken(token);
    const row = await this.db.loginToken.findUnique({ where: { tokenHash } });
    if (!row) return undefined;
    const { count } = await this.db.loginToken.deleteMany({ where: { tokenHash } });
    return count === 1 && !tokenExpired(row.expiresAt.getTime(), Date.now()) ? row.userId : undefined;
  }
}
