import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a nonce from GET /_synapse/admin/v1/register can be used, as in Synapse. */
export const NONCE_TTL_MS = 60_000;

/**
 * Nonces that any process can check without shared state: the issue time and
 * randomness, signed with the shared secret. (Synapse keeps nonces in one
 * process's memory, which a load balancer in front of several client-api
 * replicas would break.) Using a nonce twice is harmless: the second
 * registration of the same user name fails with M_USER_IN_USE.
 */
export function issueNonce(secret: string, now = Date.now()): string {
  const body = `${now.toString(36)}.${randomBytes(12).toString('hex')}`;
  return `${body}.${sign(secret, body)}`;
}

export function nonceIsValid(secret: string, nonce: string, now = Date.now()): boolean {
  const parts = nonce.split('.');
  if (parts.length !== 3) return false;
  const body = `${parts[0]}.${parts[1]}`;
  const issued = parseInt(parts[0], 36);
  return (
    sameHex(parts[2], sign(secret, body)) && Number.isFinite(issued) && issued <= now && now - issued < NONCE_TTL_MS
  );
}

/**
 * The MAC of a shared-secret registration, as Synapse defines it: HMAC-SHA1
 * with the shared secret over nonce, user name, password, "admin" or
 * "notadmin" and, if given, the user type, separated by NUL bytes; hex.
 */
export function registrationMac(
  secret: string,
  fields: { nonce: string; username: string; password: string; admin: boolean; userType?: string },
): string {
  const parts = [
    fields.nonce,
    fields.username,
    fields.password,
    fields.admin ? 'admin' : 'notadmin',
    ...(fields.userType === undefined ? [] : [fields.userType]),
  ];
  return createHmac('sha1', secret).update(parts.join('\x00'), 'utf8').digest('hex');
}

export function sameHex(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(`lattice-register-nonce|${body}`).digest('hex').slice(0, 32);
}
