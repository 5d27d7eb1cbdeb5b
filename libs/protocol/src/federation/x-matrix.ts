import type { KeyObject } from 'node:crypto';
import type { JsonValue } from '../events';
import { CanonicalJsonError } from '../canonical-json';
import { signJson, verifyJsonSignature, type SigningKey } from '../signing';

/** The parameters of an `Authorization: X-Matrix ...` header (server-server-api "Request Authentication"). */
export interface XMatrixAuthorization {
  origin: string;
  /** Absent from requests of servers older than spec v1.3, which recipients must still accept. */
  destination?: string;
  key: string;
  sig: string;
}

/** A federation request as its signature covers it. */
export interface SignedRequest {
  method: string;
  /** The path with its query string, from `/_matrix`: no scheme, no host. */
  uri: string;
  origin: string;
  destination: string;
  /** The parsed JSON body; absent when the request has none. */
  content?: JsonValue;
}

/** The JSON object a request signature covers ("Step 1 sign JSON"). */
function requestObject(request: SignedRequest): Record<string, JsonValue> {
  return {
    method: request.method,
    uri: request.uri,
    origin: request.origin,
    destination: request.destination,
    ...(request.content === undefined ? {} : { content: request.content }),
  };
}

/**
 * The Authorization header for an outgoing request, written the way the
 * spec asks senders to for old servers' sake: one space after the scheme,
 * lower-case names, no spaces around commas, every value quoted.
 */
export function authorizationHeader(request: SignedRequest, key: SigningKey): string {
  const signed = signJson(requestObject(request), request.origin, key);
  const sig = (signed.signatures as Record<string, Record<string, string>>)[request.origin][key.keyId];
  return `X-Matrix origin="${request.origin}",destination="${request.destination}",key="${key.keyId}",sig="${sig}"`;
}

/**
 * Parses an X-Matrix Authorization header (RFC 9110 section 11.4 as the spec
 * profiles it): scheme then name=value pairs, names case-insensitive, values
 * quoted (with backslash escapes) or bare tokens, and, for old servers,
 * bare values that contain colons. Unknown parameters are ignored. Returns
 * undefined for anything that is not a usable X-Matrix header.
 */
export function parseAuthorizationHeader(header: string): XMatrixAuthorization | undefined {
  const scheme = /^X-Matrix +/i.exec(header);
  if (!scheme) return undefined;
  const params = new Map<string, string>();
  const rest = header.slice(scheme[0].length);
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /[ \t,]/.test(rest[i])) i++;
    const name = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(rest.slice(i));
    if (!name) break;
    i += name[0].length;
    while (rest[i] === ' ' || rest[i] === '\t') i++;
    if (rest[i] !== '=') return undefined;
    i++;
    while (rest[i] === ' ' || rest[i] === '\t') i++;
    let value = '';
    if (rest[i] === '"') {
      i++;
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        value += rest[i++];
      }
      if (rest[i] !== '"') return undefined;
      i++;
    } else {
      const bare = /^[^,\s]*/.exec(rest.slice(i))![0];
      value = bare;
      i += bare.length;
    }
    params.set(name[0].toLowerCase(), value);
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin || !key || !sig) return undefined;
  return { origin, key, sig, ...(params.has('destination') ? { destination: params.get('destination') } : {}) };
}

/**
 * Checks an incoming request's X-Matrix signature with the origin's public
 * key. `destination` is this server's name: the signature must cover it
 * whether or not the (pre-v1.3) header named it. A body with no canonical
 * JSON form (a float, an integer beyond 2**53) cannot have been signed, so
 * it fails the check rather than the server.
 */
export function verifyRequestSignature(
  auth: XMatrixAuthorization,
  request: Omit<SignedRequest, 'origin'>,
  publicKey: KeyObject,
): boolean {
  const object = {
    ...requestObject({ ...request, origin: auth.origin }),
    signatures: { [auth.origin]: { [auth.key]: auth.sig } },
  };
  try {
    return verifyJsonSignature(object, auth.origin, auth.key, publicKey);
  } catch (e) {
    if (e instanceof CanonicalJsonError) return false;
    throw e;
  }
}
