import { Inject, Injectable, Logger } from '@nestjs/common';
import { LATTICE_CONFIG, type LatticeConfig } from '@lattice/config';
import type { AppserviceRegistration } from './registration';

/** The service answered with a status other than 2xx. */
export class AppserviceStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`The application service answered ${status}`);
  }
}

/** The service could not be reached (connection refused, no URL). */
export class AppserviceUnreachableError extends Error {}

/** The service did not answer within appservices.requestTimeoutMs. */
export class AppserviceTimeoutError extends AppserviceUnreachableError {}

export interface AppserviceAnswer {
  status: number;
  body: unknown;
}

/**
 * The older paths of application-service-api "Legacy routes", tried when the
 * v1 path answers that it does not exist (404, 405, 501): services written
 * before v1 answer only those.
 */
function legacyPathOf(path: string): string | undefined {
  if (path.startsWith('/_matrix/app/v1/thirdparty/')) return path.replace('/_matrix/app/v1/', '/_matrix/app/unstable/');
  if (/^\/_matrix\/app\/v1\/(transactions|users|rooms)\//.test(path)) return path.slice('/_matrix/app/v1'.length);
  return undefined;
}

/**
 * Requests from the homeserver to an application service
 * (application-service-api "Homeserver -> Application Service API"): the
 * hs_token as a Bearer token, JSON both ways, a timeout, and the legacy
 * path when the service does not know the v1 one.
 */
@Injectable()
export class AppserviceClient {
  private readonly logger = new Logger(AppserviceClient.name);
  private readonly timeoutMs: number;

  constructor(@Inject(LATTICE_CONFIG) config: LatticeConfig) {
    this.timeoutMs = config.appservices.requestTimeoutMs;
  }

  /** PUT /transactions/{txnId}: resolves when the service accepted it, throws otherwise. */
  async sendTransaction(service: AppserviceRegistration, txnId: string, body: object): Promise<void> {
    const answer = await this.request(service, 'PUT', `/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
      body,
    });
    if (answer.status < 200 || answer.status >= 300)
      throw new AppserviceStatusError(answer.status, JSON.stringify(answer.body));
  }

  /** POST /_matrix/app/v1/ping (no legacy path: the endpoint is v1.7's). */
  ping(service: AppserviceRegistration, transactionId: string | undefined): Promise<AppserviceAnswer> {
    return this.request(service, 'POST', '/_matrix/app/v1/ping', {
      body: transactionId === undefined ? {} : { transaction_id: transactionId },
    });
  }

  /** GET /users/{userId}: whether the service says the user exists now (it creates it during the request if it wants to). */
  async queryUser(service: AppserviceRegistration, userId: string): Promise<boolean> {
    return this.query(service, `/_matrix/app/v1/users/${encodeURIComponent(userId)}`);
  }

  async queryAlias(service: AppserviceRegistration, alias: string): Promise<boolean> {
    return this.query(service, `/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`);
  }

  /** GET /thirdparty/...: the service's answer, or undefined when it failed or does not know the protocol. */
  async thirdParty(service: AppserviceRegistration, path: string, query: Record<string, string>): Promise<unknown> {
    try {
      const answer = await this.request(service, 'GET', `/_matrix/app/v1/thirdparty/${path}`, { query });
      if (answer.status >= 200 && answer.status < 300) return answer.body;
      this.logger.debug(`${service.id} answered ${answer.status} to thirdparty/${path}`);
    } catch (e) {
      this.logger.debug(`${service.id} failed thirdparty/${path}: ${(e as Error).message}`);
    }
    return undefined;
  }

  async request(
    service: AppserviceRegistration,
    method: string,
    path: string,
    options: { body?: object; query?: Record<string, string> } = {},
  ): Promise<AppserviceAnswer> {
    const answer = await this.requestOnce(service, method, path, options);
    const legacy = legacyPathOf(path);
    if (legacy !== undefined && [404, 405, 501].includes(answer.status))
      return this.requestOnce(service, method, legacy, options);
    return answer;
  }

  private async query(service: AppserviceRegistration, path: string): Promise<boolean> {
    try {
      const answer = await this.request(service, 'GET', path);
      return answer.status >= 200 && answer.status < 300;
    } catch (e) {
      this.logger.debug(`${service.id} failed the query ${path}: ${(e as Error).message}`);
      return false;
    }
  }

  private async requestOnce(
    service: AppserviceRegistration,
    method: string,
    path: string,
    options: { body?: object; query?: Record<string, string> },
  ): Promise<AppserviceAnswer> {
    if (service.url === null) throw new AppserviceUnreachableError(`Application service ${service.id} has no URL`);
    const url = new URL(service.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.append(key, value);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${service.hsToken}`,
          ...(options.body ? { 'content-type': 'application/json' } : {}),
        },
        body: options.body ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      if ((e as Error).name === 'TimeoutError')
        throw new AppserviceTimeoutError(`${service.id} at ${service.url} did not answer within ${this.timeoutMs} ms`);
      const cause = (e as { cause?: Error }).cause;
      throw new AppserviceUnreachableError(
        `${service.id} at ${service.url}: ${cause?.message ?? (e as Error).message}`,
      );
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      // Not JSON: the text itself is what M_BAD_STATUS reports back.
    }
    return { status: response.status, body };
  }
}
