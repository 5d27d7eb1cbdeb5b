import { CanActivate, createParamDecorator, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ServerKeys } from '@lattice/federation';
import { Errors, type MatrixRequest } from '@lattice/http';
import { parseAuthorizationHeader, verifyRequestSignature, type JsonValue } from '@lattice/protocol';
import { FederationSender } from '../sender/federation-sender';

type FederationRequest = MatrixRequest & { federationOrigin?: string };

/**
 * Authenticates a server-server request (server-server-api "Request
 * Authentication"): an X-Matrix Authorization header whose signature, by a
 * key of the origin server valid now, covers the method, the full target,
 * the origin, this tenant as destination, and the JSON body. Runs after
 * MatrixRequestGuard, which has chosen the tenant from the Host header.
 */
@Injectable()
export class FederationAuthGuard implements CanActivate {
  private readonly logger = new Logger(FederationAuthGuard.name);
  constructor(
    private readonly keys: ServerKeys,
    private readonly sender: FederationSender,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<FederationRequest>();
    const destination = request.matrix!.tenant.serverName;
    const header = request.headers.authorization;
    if (!header) throw Errors.unauthorized('Missing X-Matrix Authorization header');
    const auth = parseAuthorizationHeader(header);
    if (!auth) throw Errors.unauthorized('Malformed X-Matrix Authorization header');
    if (auth.destination !== undefined && auth.destination !== destination) throw Errors.unauthorized(`This request is for ${auth.destination}, not ${destination}`);
    const key = await this.keys.publicKey(auth.origin, auth.key, Date.now()).catch((e: unknown) => this.logger.debug(`Key ${auth.key} of ${auth.origin} not found; the request is refused (M_UNAUTHORIZED): ${String(e)}`));
    if (!key) throw Errors.unauthorized(`No valid key ${auth.key} of ${auth.origin} could be found`);
    const content = request.body === undefined || request.body === null ? undefined : (request.body as JsonValue);
    const signed = { method: request.method, uri: request.url, destination, ...(content === undefined ? {} : { content }) };
    if (!verifyRequestSignature(auth, signed, key)) throw Errors.unauthorized(`Invalid signature by ${auth.origin} (${auth.key})`);
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
