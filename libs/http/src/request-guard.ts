import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LATTICE_CONFIG, LatticeConfig, TenantDirectory } from '@lattice/config';
import { logContext } from '@lattice/telemetry';
import { Errors } from './matrix-error';
import { RateLimiter } from './rate-limiter';
import { ANY_HOST, GUEST_ALLOWED, MatrixRequest, OPTIONAL_AUTH, PUBLIC_ROUTE, RATE_LIMITED, Requester } from './request-context';

/** Resolves an access token to its user and device; implemented by the accounts lib. */
export interface AccessTokenResolver {
  resolve(accessToken: string): Promise<Omit<Requester, 'accessToken'> | undefined>;
  /** Notes that the device made a request from `ip` (GET /devices shows when and where a device was last seen). */
  seen?(owner: Omit<Requester, 'accessToken'>, ip: string): Promise<void>;
}

export const ACCESS_TOKEN_RESOLVER = Symbol('AccessTokenResolver');

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
  ) {
    this.limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<MatrixRequest>();
    const flag = (key: string) => this.reflector.getAllAndOverride<boolean>(key, [ctx.getHandler(), ctx.getClass()]) ?? false;
    if (flag(ANY_HOST)) return true;
    const tenant = this.tenants.forHost(request.headers.host);
    if (!tenant) throw Errors.notFound(`No homeserver is configured for host ${request.headers.host ?? '(none)'}`);
    request.matrix = { tenant };
    const log = logContext.getStore();
    if (log) log.tenant = tenant.serverName;

    // Public routes never look at a token, so a stale one cannot break /versions or /login.
    const token = flag(PUBLIC_ROUTE) ? undefined : accessTokenOf(request);
    if (token !== undefined) {
      const found = await this.tokens.resolve(token);
      // A token is only good at its own tenant: two tenants behave as two homeservers, which share no sessions.
      if (!found || serverNameOf(found.userId) !== tenant.serverName) throw Errors.unknownToken();
      if (found.isGuest && !flag(GUEST_ALLOWED)) throw Errors.guestAccessForbidden();
      request.matrix.requester = { ...found, accessToken: token };
      await this.tokens.seen?.(found, request.ip);
    } else if (!flag(PUBLIC_ROUTE) && !flag(OPTIONAL_AUTH)) {
      throw Errors.missingToken();
    }

    if (flag(RATE_LIMITED)) {
      const wait = this.limiter.take(request.matrix.requester?.userId ?? request.ip);
      if (wait > 0) throw Errors.limitExceeded(wait);
    }
    return true;
  }
}

function accessTokenOf(request: MatrixRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw Errors.unknownToken('Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const query = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
