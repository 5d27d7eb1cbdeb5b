import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { RefusedDestinationError, type AddressPolicy } from '@lattice/outbound';
import { authorizationHeader, type JsonValue, type SigningKey } from '@lattice/protocol';
import { NetworkLookups } from '../discovery/network-lookups';
import { resolveServerName, type DiscoveryLookups, type ServerEndpoint } from '../discovery/resolve-server-name';
import { httpsJson } from './https-json';
import { httpsStream } from './https-stream';

/** A federation request another server answered with an error (or not with JSON). */
export class FederationError extends Error {
  constructor(
    readonly destination: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const errcode = (body as { errcode?: unknown } | undefined)?.errcode;
    super(`${destination} answered ${status}${typeof errcode === 'string' ? ` ${errcode}` : ''}`);
  }
}

export interface FederationClientOptions {
  /** The signing key of one of our server names (tenants), for X-Matrix. */
  signingKey: (serverName: string) => Promise<SigningKey>;
  /** Certificates trusted for other servers: see trustedCertificates(). */
  ca: string[];
  /** The addresses requests may connect to (config `outbound`), discovery's included. */
  addresses: AddressPolicy;
  /** Told of every request refused by `addresses`, for the log: the caller only sees its usual failure. */
  onRefused?: (destination: string, error: RefusedDestinationError) => void;
  /** Discovery lookups; the network's unless a test gives its own. */
  lookups?: DiscoveryLookups;
  timeoutMs?: number;
}

/** The system's CAs plus a deployment's own (config federation.trustedCaFiles). */
export function trustedCertificates(extraCaFiles: string[]): string[] {
  return [...rootCertificates, ...extraCaFiles.map((file) => readFileSync(file, 'utf8'))];
}

/** How long a resolved endpoint is reused before discovery runs again. */
const ENDPOINT_TTL_MS = 3600_000;

/**
 * Requests to other homeservers: finds the server (server-server-api
 * "Resolving server names"), signs the request as one of our server names
 * (X-Matrix), sends it over HTTPS with certificate checks, and returns the
 * JSON answer or throws FederationError.
 */
export class FederationClient {
  private readonly endpoints = new Map<string, { endpoint: Promise<ServerEndpoint>; expires: number }>();
  private readonly lookups: DiscoveryLookups;
  private readonly timeoutMs: number;

  constructor(private readonly options: FederationClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.lookups =
      options.lookups ??
      new NetworkLookups({ ca: options.ca, timeoutMs: this.timeoutMs, addresses: options.addresses });
  }

  /** A request signed by `origin` (one of our server names) for `destination`. */
  async request<T>(
    origin: string,
    destination: string,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonValue,
  ): Promise<T> {
    const key = await this.options.signingKey(origin);
    const authorization = authorizationHeader(
      { method, uri: path, origin, destination, ...(body === undefined ? {} : { content: body }) },
      key,
    );
    return this.send(destination, method, path, body, { authorization });
  }

  /** An unsigned GET, for what servers publish to anyone (their keys, their version). */
  async get<T>(destination: string, path: string): Promise<T> {
    return this.send(destination, 'GET', path);
  }

  /** An unsigned POST, for the key query that notaries answer anyone. */
  async post<T>(destination: string, path: string, body: JsonValue): Promise<T> {
    return this.send(destination, 'POST', path, body);
  }

  /**
   * A GET whose answer streams (media): signed by `origin` unless it is null
   * (the deprecated unauthenticated media endpoints). Answers of any status
   * come back; the caller reads or destroys the body.
   */
  async stream(origin: string | null, destination: string, path: string): Promise<IncomingMessage> {
    const endpoint = await this.endpoint(destination);
    const headers =
      origin === null
        ? undefined
        : {
            authorization: authorizationHeader(
              { method: 'GET', uri: path, origin, destination },
              await this.options.signingKey(origin),
            ),
          };
    return httpsStream(endpoint, 'GET', path, {
      ca: this.options.ca,
      headers,
      timeoutMs: this.timeoutMs,
      addresses: this.options.addresses,
    }).catch((e: Error) => {
      if (e instanceof RefusedDestinationError) this.options.onRefused?.(destination, e);
      throw e;
    });
  }

  private async send<T>(
    destination: string,
    method: string,
    path: string,
    body?: JsonValue,
    headers?: Record<string, string>,
  ): Promise<T> {
    const endpoint = await this.endpoint(destination);
    const response = await httpsJson(endpoint, method, path, {
      ca: this.options.ca,
      headers,
      body,
      timeoutMs: this.timeoutMs,
      addresses: this.options.addresses,
    }).catch((e: Error) => {
      if (e instanceof RefusedDestinationError) this.options.onRefused?.(destination, e);
      throw e;
    });
    if (response.status < 200 || response.status >= 300 || response.body === undefined)
      throw new FederationError(destination, response.status, response.body);
    return response.body as T;
  }

  private endpoint(destination: string): Promise<ServerEndpoint> {
    const cached = this.endpoints.get(destination);
    if (cached && cached.expires > Date.now()) return cached.endpoint;
    const endpoint = resolveServerName(destination, this.lookups);
    this.endpoints.set(destination, { endpoint, expires: Date.now() + ENDPOINT_TTL_MS });
    endpoint.catch(() => this.endpoints.delete(destination));
    return endpoint;
  }
}
