import { Injectable } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import type { MatrixError } from '@lattice/http';
import { AppserviceClient } from './appservice-client';
import { AppserviceRegistry } from './appservice-registry';

/**
 * application-service-api "Querying": when a client (or another server) touches a user ID or
 * room alias of a service's namespace that does not exist yet, the service
 * is asked (GET /users/{userId}, /rooms/{alias}) and may create it during
 * the request; the client's request then goes on with what exists.
 */
@Injectable()
export class NamespaceQueries {
  constructor(
    private readonly registry: AppserviceRegistry,
    private readonly client: AppserviceClient,
    private readonly accounts: AccountStore,
  ) {}

  /** What `read` finds of a local user; if nothing, the services covering it are asked first and it is read again. */
  async readUser<T>(userId: string, read: () => Promise<T | null | undefined>): Promise<T | null | undefined> {
    return (await read()) ?? ((await this.ensureUser(userId)) ? read() : undefined);
  }

  /** What `read` finds of a local alias; if nothing, the services covering it are asked first and it is read again. */
  async readAlias<T>(alias: string, read: () => Promise<T | null | undefined>): Promise<T | null | undefined> {
    return (await read()) ?? ((await this.ensureAlias(alias)) ? read() : undefined);
  }

  /** Asks the services covering a local user that is not registered; true once one of them says it exists. */
  async ensureUser(userId: string): Promise<boolean> {
    const services = this.registry.queryableForUser(userId);
    if (services.length === 0) return false;
    if (!(await this.isUnregistered(userId))) return false;
    for (const service of services) if (await this.client.queryUser(service, userId)) return true;
    return false;
  }

  /** A user ID nobody has, that could be registered (a historical-grammar ID cannot be, so no service is asked about it). */
  private async isUnregistered(userId: string): Promise<boolean> {
    try {
      return await this.accounts.isLocalpartAvailable(
        userId.slice(userId.indexOf(':') + 1),
        userId.slice(1, userId.indexOf(':')),
      );
    } catch (e) {
      if ((e as MatrixError).errcode === 'M_INVALID_USERNAME') return false;
      throw e;
    }
  }

  /** Asks the services covering a local alias nobody has created; true once one of them says it exists. */
  async ensureAlias(alias: string): Promise<boolean> {
    for (const service of this.registry.queryableForAlias(alias))
      if (await this.client.queryAlias(service, alias)) return true;
    return false;
  }
}
