import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { authenticateServerRequest, ServerKeys } from '@lattice/federation';
import { Errors, type MatrixRequest } from '@lattice/http';
import { FederationSender } from '../sender/federation-sender';

type FederationRequest = MatrixRequest & { federationOrigin?: string };

/**
 * Authenticates a server-server request (authenticateServerRequest), this
 * tenant being the destination, and notes that its origin is up. Runs after
 * MatrixRequestGuard, which has chosen the tenant from the Host header.
 */
@Injectable()
export class FederationAuthGuard implements CanActivate {
  constructor(
    private readonly keys: ServerKeys,
    private readonly sender: FederationSender,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<FederationRequest>();
    const auth = await authenticateServerRequest(
      this.keys,
      { method: request.method, url: request.url, authorization: request.headers.authorization, body: request.body },
      request.matrix!.tenant.serverName,
    );
    if (!auth.ok) throw Errors.unauthorized(auth.reason);
    request.federationOrigin = auth.origin;
    this.sender.serverIsUp(auth.origin);
    return true;
  }
}

/** The server name that signed the request (routes behind FederationAuthGuard). */
export const Origin = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const origin = ctx.switchToHttp().getRequest<FederationRequest>().federationOrigin;
  if (!origin) throw Errors.unauthorized('Not a signed federation request');
  return origin;
});
