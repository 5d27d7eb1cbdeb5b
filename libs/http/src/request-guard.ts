import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LATTICE_CONFIG, LatticeConfig, TenantDirectory } from '@lattice/config';
import { logContext } from '@lattice/telemetry';
import { Errors } from './matrix-error';
import { RateLimiter } from './rate-limiter';
import {
  accessTokenOf,
  ANY_HOST,
  GUEST_ALLOWED,
  LOCKED_ALLOWED,
  MatrixRequest,
  OPTIONAL_AUTH,
  PUBLIC_ROUTE,
  RATE_LIMITED,
  Requester,
} from './request-context';

/** Resolves an access token to its user and device; implemented by the accounts lib. */
export interface AccessTokenResolver {
  resolve(accessToken: string): Promise<Omit<Requester, 'accessToken'> | undefined>;
  /** Notes that the device made a request from `ip` (GET /devices shows when and where a device was last seen). */
  seen?(owner: Omit<Requester, 'accessToken'>, ip: string): Promise<void>;
}

export const ACCESS_TOKEN_RESOLVER = Symbol('AccessTokenResolver');

/**
 * Resolves an application service's as_token (application-service-api "Identity assertion"): the
 * user it acts as (`user_id`, else its sender) and device (`device_id`), or undefined when the token
 * is no service's; throws the Matrix error for a user or device it may not act as.
 */
export interface AppserviceTokenResolver {
  resolve(
    serverName: string,
    asToken: string,
    asUser: { userId?: string; deviceId?: string },
  ): Promise<Omit<Requester, 'accessToken'> | undefined>;
  /** Whether the token is the as_token of a service registered with rate_limited: false (its public requests, such as /register, are not limited either). */
  isUnlimited(serverName: string, asToken: string): boolean;
}

export const APPSERVICE_TOKEN_RESOLVER = Symbol('AppserviceTokenResolver');

/**
 * Runs before every handler: picks the tenant from the Host header,
 * authenticates the access token (header or, deprecated but still allowed,
 * the access_token query parameter) and applies the rate limit.
 */
@Injectable()
export class MatrixRequestGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly reflector: Reflector,
    @Inject(LATTICE_CONFIG) config: LatticeConfig,
    @Inject(ACCESS_TOKEN_RESOLVER) private readonly tokens: AccessTokenResolver,
    private readonly tenants: TenantDirectory,
    @Optional() @Inject(APPSERVICE_TOKEN_RESOLVER) private readonly appservices?: AppserviceTokenResolver,
  ) {
    this.limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<MatrixRequest>();
    const flag = (key: string) =>
      this.reflector.getAllAndOverride<boolean>(key, [ctx.getHandler(), ctx.getClass()]) ?? false;
    if (flag(ANY_HOST)) return true;
    const tenant = this.tenants.forHost(request.headers.host);
    if (!tenant) throw Errors.notFound(`No homeserver is configured for host ${request.headers.host ?? '(none)'}`);
    request.matrix = { tenant };
    const log = logContext.getStore();
    if (log) log.tenant = tenant.serverName;

    // Public routes never look at a token, so a stale one cannot break /versions or /login.
    const token = flag(PUBLIC_ROUTE) ? undefined : accessTokenOf(request);
    const asService =
      token === undefined
        ? undefined
        : await this.appservices?.resolve(tenant.serverName, token, appserviceUserOf(request));
    if (asService) {
      request.matrix.requester = { ...asService, accessToken: token! };
    } else if (token !== undefined) {
      const found = await this.tokens.resolve(token);
      // A token is only good at its own tenant: two tenants behave as two homeservers, which share no sessions.
      if (!found || serverNameOf(found.userId) !== tenant.serverName) throw Errors.unknownToken();
      if (found.isGuest && !flag(GUEST_ALLOWED)) throw Errors.guestAccessForbidden();
      if (found.locked && !flag(LOCKED_ALLOWED)) throw Errors.userLocked();
      request.matrix.requester = { ...found, accessToken: token };
      await this.tokens.seen?.(found, request.ip);
    } else if (!flag(PUBLIC_ROUTE) && !flag(OPTIONAL_AUTH)) {
      throw Errors.missingToken();
    }

    // application-service-api: a service registered with rate_limited: false is never limited.
    if (
      flag(RATE_LIMITED) &&
      !this.isUnlimitedService(
        tenant.serverName,
        token ?? (flag(PUBLIC_ROUTE) ? publicRouteTokenOf(request) : undefined),
      )
    ) {
      const wait = this.limiter.take(request.matrix.requester?.userId ?? request.ip);
      if (wait > 0) throw Errors.limitExceeded(wait);
    }
    return true;
  }

  private isUnlimitedService(serverName: string, token: string | undefined): boolean {
    return token !== undefined && this.appservices?.isUnlimited(serverName, token) === true;
  }
}

/** A public route's token, if it has a well-formed one: the route does not need it, so a malformed header is no error there. */
function publicRouteTokenOf(request: MatrixRequest): string | undefined {
  const header = request.headers.authorization;
  return header === undefined ? accessTokenOf(request) : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

/** The `user_id` and `device_id` query parameters an application service masquerades with. */
function appserviceUserOf(request: MatrixRequest): { userId?: string; deviceId?: string } {
  const query = (request.query as Record<string, unknown> | undefined) ?? {};
  return {
    ...(typeof query.user_id === 'string' ? { userId: query.user_id } : {}),
    ...(typeof query.device_id === 'string' ? { deviceId: query.device_id } : {}),
  };
}

function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
