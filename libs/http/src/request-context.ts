import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import type { FastifyRequest } from 'fastify';
import { Errors } from './matrix-error';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  /** The raw access token, for /logout. */
  accessToken: string;
  /** A guest account: only routes marked @GuestAllowed() answer it. */
  isGuest: boolean;
  /**
   * The request carries an application service's as_token (application-service-api "Identity
   * assertion"): the service, and whether its requests count against rate limits.
   */
  appservice?: { id: string; rateLimited: boolean };
  /** Locked by a server admin: only routes marked @LockedAllowed() answer (the guard refuses the rest). */
  locked?: true;
  /** Suspended by a server admin: routes that act on rooms or the profile refuse it (requireNotSuspended). */
  suspended?: true;
}

/** What the guard attaches to every request it lets through. */
export interface MatrixRequestContext {
  tenant: TenantConfig;
  requester?: Requester;
}

export type MatrixRequest = FastifyRequest & { matrix?: MatrixRequestContext };

export const PUBLIC_ROUTE = 'lattice:public';
export const OPTIONAL_AUTH = 'lattice:optional-auth';
export const RATE_LIMITED = 'lattice:rate-limited';
export const GUEST_ALLOWED = 'lattice:guest-allowed';
export const LOCKED_ALLOWED = 'lattice:locked-allowed';
export const ANY_HOST = 'lattice:any-host';

/** The route needs no access token (e.g. /versions, /login). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
/** The route reads an access token if one is given (e.g. /register for appservices). */
export const OptionalAuth = () => SetMetadata(OPTIONAL_AUTH, true);
/**
 * The route belongs to the process, not to a tenant: it answers whatever the
 * Host header (Kubernetes probes send the pod's IP), with no token and no
 * tenant.
 */
export const AnyHost = () => SetMetadata(ANY_HOST, true);
/** Guest accounts may call the route (client-server-api "Guest Access", "Client behaviour" lists them); every other route answers them M_GUEST_ACCESS_FORBIDDEN. */
export const GuestAllowed = () => SetMetadata(GUEST_ALLOWED, true);
/** A locked account may call the route: client-server-api "Account locking" leaves it /logout and /logout/all. */
export const LockedAllowed = () => SetMetadata(LOCKED_ALLOWED, true);
/**
 * Refuses a suspended account an action client-server-api "Account suspension" recommends forbidding
 * (joining, knocking, inviting, sending, changing the profile) with 403 M_USER_SUSPENDED.
 */
export function requireNotSuspended(requester: Requester): void {
  if (requester.suspended) throw Errors.userSuspended();
}
/** The route counts against the requester's rate limit (spec: `rate-limited: true` in the OpenAPI). */
export const RateLimited = () => SetMetadata(RATE_LIMITED, true);

function context(ctx: ExecutionContext): MatrixRequestContext {
  const request = ctx.switchToHttp().getRequest<MatrixRequest>();
  if (!request.matrix) throw Errors.unknown('Request context missing: is MatrixRequestGuard installed?');
  return request.matrix;
}

/** The tenant (server name and its settings) the request was addressed to. */
export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext) => context(ctx).tenant);

/** The authenticated user and device; only on routes that require a token. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const requester = context(ctx).requester;
  if (!requester) throw Errors.missingToken();
  return requester;
});

/** The authenticated user and device if the request carried a token; for routes marked @OptionalAuth(). */
export const MaybeAuth = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Requester | undefined => context(ctx).requester,
);
/** The access token of a request: the Authorization header, else the deprecated access_token query parameter. */
export function accessTokenOf(request: MatrixRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw Errors.unknownToken('Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const query = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}
