import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import { Errors, type MatrixRequest } from '@lattice/http';

/**
 * The deployment's operator (tenants API, the CLI): a bearer token from
 * configuration (admin.operatorToken, LATTICE_ADMIN_TOKEN), not a user's
 * access token, since tenants are above any one tenant's users. Without a
 * configured token the routes do not exist.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(LATTICE_CONFIG) config: LatticeConfig) {
    this.expected = config.admin.operatorToken === undefined ? undefined : digest(config.admin.operatorToken);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.expected) throw Errors.unrecognized(404);
    const header = ctx.switchToHttp().getRequest<MatrixRequest>().headers.authorization;
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (token === undefined) throw Errors.missingToken();
    // Compared as digests: equal lengths for timingSafeEqual, and no timing leak of the token's length.
    if (!timingSafeEqual(digest(token), this.expected)) throw Errors.unknownToken();
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
