import type { Refusal } from '@lattice/contracts';
/**
 * An error a client or peer sees as a Matrix error body:
 * `{"errcode": "M_...", "error": "..."}` (client-server-api "Standard error response").
 * Thrown anywhere in request handling; the exception filter renders it.
 */
export class MatrixError extends Error {
  /** The HTTP error for a refusal another service answered with (libs/contracts' Refusal). */
  static fromRefusal(refusal: Refusal): MatrixError {
    return new MatrixError(refusal.status, refusal.errcode, refusal.error, refusal.extra);
  }

  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra fields the spec defines for some errcodes, e.g. retry_after_ms, soft_logout. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

/** Constructors for the errcodes used across services, so status codes stay consistent. */
export const Errors = {
  forbidden: (msg: string) => new MatrixError(403, 'M_FORBIDDEN', msg),
  unknownToken: (msg = 'Unrecognised access token') =>
    new MatrixError(401, 'M_UNKNOWN_TOKEN', msg, { soft_logout: false }),
  /** The token was good but has expired: the client may refresh it or log in again as the same device (client-server-api "Soft logout"). */
  expiredToken: () => new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Access token has expired', { soft_logout: true }),
  /** client-server-api POST /refresh answers an unknown or used refresh token as a soft logout (its example): the client signs in again on the same device and keeps its keys. */
  unusableRefreshToken: () =>
    new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or already used refresh token', { soft_logout: true }),
  missingToken: () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token'),
  badJson: (msg: string) => new MatrixError(400, 'M_BAD_JSON', msg),
  notJson: (msg = 'Content not JSON') => new MatrixError(400, 'M_NOT_JSON', msg),
  notFound: (msg: string) => new MatrixError(404, 'M_NOT_FOUND', msg),
  invalidParam: (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg),
  missingParam: (msg: string) => new MatrixError(400, 'M_MISSING_PARAM', msg),
  tooLarge: (msg: string) => new MatrixError(413, 'M_TOO_LARGE', msg),
  limitExceeded: (retryAfterMs: number) =>
    new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs }),
  unrecognized: (status: 404 | 405, msg = 'Unrecognized request') => new MatrixError(status, 'M_UNRECOGNIZED', msg),
  userInUse: () => new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken'),
  invalidUsername: (msg: string) => new MatrixError(400, 'M_INVALID_USERNAME', msg),
  exclusive: (msg: string) => new MatrixError(400, 'M_EXCLUSIVE', msg),
  unknown: (msg: string) => new MatrixError(500, 'M_UNKNOWN', msg),
  unsupportedRoomVersion: (msg: string) => new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', msg),
  roomInUse: (msg = 'Room alias already taken') => new MatrixError(400, 'M_ROOM_IN_USE', msg),
  guestAccessForbidden: () => new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not allowed'),
  /** client-server-api "Account locking": the session is kept (soft_logout) for when the lock is lifted. */
  userLocked: () => new MatrixError(401, 'M_USER_LOCKED', 'This account has been locked', { soft_logout: true }),
  userSuspended: () => new MatrixError(403, 'M_USER_SUSPENDED', 'You cannot perform this action while suspended'),
  userDeactivated: () => new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated'),
  unauthorized: (msg: string) => new MatrixError(401, 'M_UNAUTHORIZED', msg),
} as const;

/** The wire form of a MatrixError, as carried in bus replies between services. */
export interface MatrixErrorBody {
  status: number;
  errcode: string;
  error: string;
  extra?: Record<string, unknown>;
}

export function toErrorBody(e: MatrixError): MatrixErrorBody {
  return { status: e.status, errcode: e.errcode, error: e.message, extra: e.extra };
}

export function fromErrorBody(b: MatrixErrorBody): MatrixError {
  return new MatrixError(b.status, b.errcode, b.error, b.extra ?? {});
}
