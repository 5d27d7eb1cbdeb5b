import { Injectable } from '@nestjs/common';
import { AppserviceRegistry, coversAlias, coversUser, type AppserviceRegistration } from '@lattice/appservice-registry';
import type { TenantConfig } from '@lattice/config';
import { accessTokenOf, Errors, type MatrixRequest, type Requester } from '@lattice/http';

/**
 * The rules application-service-api "Server admin style permissions" puts
 * on the client-server API: a service creates and logs in only users, and
 * creates only aliases, of its own namespaces; nobody else creates what a
 * service's exclusive namespace holds. Both are refused with M_EXCLUSIVE.
 */
@Injectable()
export class AppserviceAccess {
  constructor(private readonly registry: AppserviceRegistry) {}

  /**
   * The service whose as_token a public route (register, login) carries for
   * m.login.application_service: 401 M_MISSING_TOKEN without a token,
   * M_UNKNOWN_TOKEN when it is no service's.
   */
  serviceOf(tenant: TenantConfig, request: MatrixRequest): AppserviceRegistration {
    const token = accessTokenOf(request);
    if (token === undefined) throw Errors.missingToken();
    const service = this.registry.byAsToken(tenant.serverName, token);
    if (!service) throw Errors.unknownToken('Not an application service token');
    return service;
  }

  /** A service may only register or log in users of its namespaces, and none another service holds exclusively. */
  requireUserOf(service: AppserviceRegistration, userId: string): void {
    if (!coversUser(service, userId))
      throw Errors.exclusive(`${userId} is outside the namespaces of application service ${service.id}`);
    if (this.registry.exclusiveOwnerOfUser(userId, service))
      throw Errors.exclusive(`${userId} is reserved by another application service`);
  }

  /** A user ID that an application service holds exclusively cannot be registered by anyone else. */
  requireNotExclusiveUser(userId: string): void {
    const owner = this.registry.exclusiveOwnerOfUser(userId);
    if (owner) throw Errors.exclusive(`${userId} is reserved by an application service`);
  }

  /** Creating or deleting an alias: a service only in its alias namespaces; anyone else not in a service's exclusive ones. */
  requireAliasAllowed(tenant: TenantConfig, requester: Requester, alias: string): void {
    const service = this.serviceOfRequester(tenant, requester);
    if (service) {
      if (!coversAlias(service, alias))
        throw Errors.exclusive(`${alias} is outside the alias namespaces of application service ${service.id}`);
      if (this.registry.exclusiveOwnerOfAlias(alias, service))
        throw Errors.exclusive(`${alias} is reserved by another application service`);
      return;
    }
    if (this.registry.exclusiveOwnerOfAlias(alias))
      throw Errors.exclusive(`${alias} is reserved by an application service`);
  }

  /** The service making this request, if the requester is one (its as_token); undefined for a user's own token. */
  serviceOfRequester(tenant: TenantConfig, requester: Requester): AppserviceRegistration | undefined {
    return requester.appservice ? this.registry.byId(tenant.serverName, requester.appservice.id) : undefined;
  }
}
