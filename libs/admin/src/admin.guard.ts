import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Errors, type MatrixRequest } from '@lattice/http';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/**
 * Admin routes: the requester (already authenticated by MatrixRequestGuard)
 * must have users.is_admin. Read on every request, not cached, so taking the
 * flag away takes effect at once. An admin administers their own tenant: the
 * users and rooms of other tenants are as far from them as another server's.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const requester = ctx.switchToHttp().getRequest<MatrixRequest>().matrix?.requester;
    if (!requester) throw Errors.missingToken();
    const user = await this.db.user.findUnique({
      where: { userId: requester.userId },
      select: { isAdmin: true, deactivated: true },
    });
    if (!user?.isAdmin || user.deactivated) throw Errors.forbidden('You are not a server admin');
    return true;
  }
}

/** A user ID of the admin's own tenant, or 400 as Synapse answers for users of other servers. */
export function localUser(serverName: string, userId: string): string {
  if (userId.slice(userId.indexOf(':') + 1) !== serverName || !userId.startsWith('@'))
    throw Errors.invalidParam('Can only look up local users');
  return userId;
}
