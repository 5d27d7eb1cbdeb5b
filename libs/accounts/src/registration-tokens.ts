import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '@lattice/http';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** A registration token as Synapse's admin API shows it (expiry_time in ms since the epoch). */
export interface RegistrationTokenInfo {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

/** The characters Synapse allows in a token (client-server-api "Token-authenticated registration" leaves it open). */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';

/**
 * Registration tokens of each tenant (`registration_tokens`): created and
 * changed by admins, consumed by POST /register under registration mode
 * "token". A token is usable while it has uses left and has not expired.
 */
@Injectable()
export class RegistrationTokens {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** Copies the configuration file's tokens in, good for any number of uses; tokens already stored keep their counts. */
  async seed(serverName: string, tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.db.registrationToken.createMany({
      data: tokens.map((token) => ({ serverName, token })),
      skipDuplicates: true,
    });
  }

  /**
   * Makes the operator-managed tokens of a tenant exactly `tokens` (from a Kubernetes Secret: a rotation
   * removes the old one), good for any number of uses. Tokens an admin made stay as they are, even one that
   * is also in `tokens`. Answers how many were added and removed.
   */
  async replaceManaged(serverName: string, tokens: readonly string[]): Promise<{ added: number; removed: number }> {
    const bad = tokens.find((t) => !TOKEN_PATTERN.test(t));
    if (bad !== undefined)
      throw Errors.invalidParam('tokens must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "~" and "-"');
    const [removed, added] = await this.db.$transaction([
      this.db.registrationToken.deleteMany({ where: { serverName, managed: true, token: { notIn: [...tokens] } } }),
      this.db.registrationToken.createMany({
        data: tokens.map((token) => ({ serverName, token, managed: true })),
        skipDuplicates: true,
      }),
    ]);
    return { added: added.count, removed: removed.count };
  }

  async isValid(serverName: string, token: string, now = Date.now()): Promise<boolean> {
    const row = await this.db.registrationToken.findUnique({
      where: { serverName_token: { serverName, token } },
    });
    return row !== null && usable(row, now);
  }

  /**
   * Takes one use of the token, atomically (two registrations racing for its last use cannot both
   * have it); false if it is unknown, used up or expired. `release` gives the use back when the
   * registration then fails.
   */
  async consume(serverName: string, token: string, now = Date.now()): Promise<boolean> {
    const taken = await this.db.$queryRawUnsafe<unknown[]>(
      `UPDATE registration_tokens SET completed = completed + 1
        WHERE server_name = $1 AND token = $2
          AND (uses_allowed IS NULL OR pending + completed < uses_allowed)
          AND (expiry_time IS NULL OR expiry_time > $3)
        RETURNING token`,
      serverName,
      token,
      BigInt(now),
    );
    return taken.length === 1;
  }

  async release(serverName: string, token: string): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE registration_tokens SET completed = completed - 1 WHERE server_name = $1 AND token = $2 AND completed > 0`,
      serverName,
      token,
    );
  }

  /** `valid`: only usable tokens (true), only unusable ones (false), or all. */
  async list(serverName: string, valid?: boolean, now = Date.now()): Promise<RegistrationTokenInfo[]> {
    const rows = await this.db.registrationToken.findMany({ where: { serverName }, orderBy: { token: 'asc' } });
    return rows.filter((r) => valid === undefined || usable(r, now) === valid).map(info);
  }

  async get(serverName: string, token: string): Promise<RegistrationTokenInfo> {
    const row = await this.db.registrationToken.findUnique({
      where: { serverName_token: { serverName, token } },
    });
    if (!row) throw Errors.notFound('No such registration token');
    return info(row);
  }

  async create(
    serverName: string,
    spec: { token?: string; length?: number; usesAllowed: number | null; expiryTime: number | null },
  ): Promise<RegistrationTokenInfo> {
    const token = spec.token ?? randomToken(spec.length ?? 16);
    if (!TOKEN_PATTERN.test(token))
      throw Errors.invalidParam('token must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "~" and "-"');
    if (spec.expiryTime !== null && spec.expiryTime < Date.now())
      throw Errors.invalidParam('expiry_time must not be in the past');
    try {
      return info(
        await this.db.registrationToken.create({
          data: {
            serverName,
            token,
            usesAllowed: spec.usesAllowed,
            expiryTime: spec.expiryTime === null ? null : BigInt(spec.expiryTime),
          },
        }),
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') throw Errors.invalidParam(`Token already in use: ${token}`);
      throw e;
    }
  }

  async update(
    serverName: string,
    token: string,
    change: { usesAllowed?: number | null; expiryTime?: number | null },
  ): Promise<RegistrationTokenInfo> {
    await this.get(serverName, token);
    const data = {
      ...(change.usesAllowed === undefined ? {} : { usesAllowed: change.usesAllowed }),
      ...(change.expiryTime === undefined
        ? {}
        : { expiryTime: change.expiryTime === null ? null : BigInt(change.expiryTime) }),
    };
    return info(await this.db.registrationToken.update({ where: { serverName_token: { serverName, token } }, data }));
  }

  async delete(serverName: string, token: string): Promise<void> {
    const { count } = await this.db.registrationToken.deleteMany({ where: { serverName, token } });
    if (count === 0) throw Errors.notFound('No such registration token');
  }
}

type Row = { token: string; usesAllowed: number | null; pending: number; completed: number; expiryTime: bigint | null };

function usable(row: Row, now: number): boolean {
  return (
    (row.usesAllowed === null || row.pending + row.completed < row.usesAllowed) &&
    (row.expiryTime === null || Number(row.expiryTime) > now)
  );
}

function info(row: Row): RegistrationTokenInfo {
  return {
    token: row.token,
    uses_allowed: row.usesAllowed,
    pending: row.pending,
    completed: row.completed,
    expiry_time: row.expiryTime === null ? null : Number(row.expiryTime),
  };
}

function randomToken(length: number): string {
  if (!Number.isInteger(length) || length < 1 || length > 64)
    throw Errors.invalidParam('length must be an integer from 1 to 64');
  return Array.from({ length }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join('');
}
