import { Errors } from '@lattice/http';

/**
 * Localparts of new accounts use the current user ID grammar only
 * (appendices "User Identifiers": a-z, 0-9, . _ = - / +); historical
 * characters are accepted from federation but never minted here.
 */
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** Full user ID limit (appendices: 255 bytes including @ and the server name). */
const MAX_USER_ID_BYTES = 255;

export function validateNewLocalpart(localpart: string, serverName: string): void {
  if (localpart === '') throw Errors.invalidUsername('Username must not be empty');
  if (!LOCALPART.test(localpart)) {
    throw Errors.invalidUsername('Username may only contain a-z, 0-9, ".", "_", "=", "-", "/" and "+"');
  }
  if (Buffer.byteLength(`@${localpart}:${serverName}`) > MAX_USER_ID_BYTES) {
    throw Errors.invalidUsername('Username is too long');
  }
}

export function userIdOf(localpart: string, serverName: string): string {
  return `@${localpart}:${serverName}`;
}
