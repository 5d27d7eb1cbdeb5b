import { argon2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

/**
 * Argon2id at OWASP's minimum memory and passes (Password Storage Cheat
 * Sheet: 19 MiB of memory, 2 passes, at least 1 lane), in 2 lanes:
 * memory-hard and built into node:crypto. The memory and passes are the
 * whole hash's, so lanes do not change what a guess costs an attacker (the
 * same 19 MiB filled twice), but node:crypto (OpenSSL) fills the lanes on
 * threads of their own at the same time, so a free second core can take up
 * to half of a hash's time, for 1-3 ms more CPU in thread starts (RFC
 * 9106 section 4 chooses the lanes from the threads a hash may use; both
 * its recommended settings use 4). Stronger than the scrypt it
 * replaces (N=2^15, r=8, p=1, below OWASP's scrypt minimum of N=2^17).
 * Stored hashes keep the parameters they were written with.
 */
const ARGON2 = { memory: 19_456, passes: 2, parallelism: 2 };
const KEY_LENGTH = 32;
/** Enough for any scrypt hash stored before argon2id (N=2^15, r=8 needs 32 MiB). */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** Hashes a password in the PHC string format, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, so parameters can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await argon2Async('argon2id', { message: password, nonce: salt, tagLength: KEY_LENGTH, ...ARGON2 });
  return `$argon2id$v=19$m=${ARGON2.memory},t=${ARGON2.passes},p=${ARGON2.parallelism}$${unpadded(salt)}$${unpadded(hash)}`;
}

/** Checks a password against an argon2id hash, or against a `scrypt$N$r$p$salt$hash` one written before argon2id. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2id$')) return verifyArgon2id(password, stored);
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT_MAXMEM,
  });
  return timingSafeEqual(actual, expected);
}

async function verifyArgon2id(password: string, stored: string): Promise<boolean> {
  const [, , version, params, salt, hash] = stored.split('$');
  const settings = Object.fromEntries(params.split(',').map((kv) => kv.split('=')));
  if (version !== 'v=19' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await argon2Async('argon2id', {
    message: password,
    nonce: Buffer.from(salt, 'base64'),
    tagLength: expected.length,
    memory: Number(settings.m),
    passes: Number(settings.t),
    parallelism: Number(settings.p),
  });
  return timingSafeEqual(actual, expected);
}

/** Base64 without padding, as the PHC string format writes it. */
function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
