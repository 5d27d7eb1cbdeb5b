import { createHash, randomBytes } from 'node:crypto';

/** A new access token: 32 random bytes, URL-safe, prefixed so leaked tokens are recognisable in logs and scanners. */
export function newAccessToken(): string {
  return `lat_${randomBytes(32).toString('base64url')}`;
}

/** A new refresh token, prefixed apart from access tokens so neither is mistaken for the other. */
export function newRefreshToken(): string {
  return `latr_${randomBytes(32).toString('base64url')}`;
}

/** Whether a token with this expiry (null: never) has expired at `now`; a token is refused from its expiry instant on. */
export function tokenExpired(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && now >= expiresAt;
}

/** Tokens are stored only as their SHA-256, so the table alone grants no access. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Device IDs clients did not choose: 10 upper-case letters, as other servers mint them. */
export function newDeviceId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from(randomBytes(10), (b) => alphabet[b % 26]).join('');
}
