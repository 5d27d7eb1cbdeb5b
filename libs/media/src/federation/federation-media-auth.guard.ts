import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { authenticateServerRequest, ServerKeys } from '@lattice/federation';
import { Errors, type MatrixRequest } from '@lattice/http';

/**
 * The federation media endpoints' signed-request authentication
 * (server-server-api "Request Authentication"), as every federation
 * endpoint has; runs after MatrixRequestGuard has chosen the tenant.
 */
@Injectable()
export class FederationMediaAuthGuard implements CanActivate {
  constructor(private readonly keys: ServerKeys) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<MatrixRequest>();
    const auth = await authenticateServerRequest(
      this.keys,
      { method: request.method, url: request.url, authorization: request.headers.authorization, body: request.body },
      request.matrix!.tenant.serverName,
    );
    if (!auth.ok) throw Errors.unauthorized(auth.reason);
    return true;
  }
}
