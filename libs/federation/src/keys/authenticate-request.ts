import { parseAuthorizationHeader, verifyRequestSignature, type JsonValue } from '@lattice/protocol';
import type { ServerKeys } from './server-keys';

/** What a server-server request carries that its authentication covers. */
export interface SignedRequest {
  method: string;
  /** The full request target: path and query string. */
  url: string;
  authorization: string | undefined;
  /** The parsed JSON body, if any. */
  body: unknown;
}

export type RequestAuthentication = { ok: true; origin: string } | { ok: false; reason: string };

/**
 * Authenticates a server-server request (server-server-api "Request
 * Authentication"): an X-Matrix Authorization header whose signature, by a
 * key of the origin server valid now, covers the method, the full target,
 * the origin, `destination` (the tenant asked) and the JSON body.
 */
export async function authenticateServerRequest(
  keys: ServerKeys,
  request: SignedRequest,
  destination: string,
): Promise<RequestAuthentication> {
  if (!request.authorization) return { ok: false, reason: 'Missing X-Matrix Authorization header' };
  const auth = parseAuthorizationHeader(request.authorization);
  if (!auth) return { ok: false, reason: 'Malformed X-Matrix Authorization header' };
  if (auth.destination !== undefined && auth.destination !== destination)
    return { ok: false, reason: `This request is for ${auth.destination}, not ${destination}` };
  const key = await keys.publicKey(auth.origin, auth.key, Date.now()).catch(() => undefined);
  if (!key) return { ok: false, reason: `No valid key ${auth.key} of ${auth.origin} could be found` };
  const content = request.body === undefined || request.body === null ? undefined : (request.body as JsonValue);
  const signed = {
    method: request.method,
    uri: request.url,
    destination,
    ...(content === undefined ? {} : { content }),
  };
  if (!verifyRequestSignature(auth, signed, key))
    return { ok: false, reason: `Invalid signature by ${auth.origin} (${auth.key})` };
  return { ok: true, origin: auth.origin };
}
