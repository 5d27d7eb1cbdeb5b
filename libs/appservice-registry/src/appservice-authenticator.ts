import { Injectable } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { Errors, MatrixError, type AppserviceTokenResolver, type Requester } from '@lattice/http';
import { AppserviceRegistry } from './appservice-registry';
import { coversUser } from './registration';

/** Users known to exist, so a busy bridge's requests do not each read the users table. */
const KNOWN_USERS_LIMIT = 100_000;

/**
 * The client-server API as an application service (application-service-api
 * "Identity assertion"): its as_token acts as its sender, or as the
 * `user_id` it names when one of its user namespaces covers it and the user
 * is registered, and with the `device_id` it names when that device is the
 * user's (v1.17; else 400 M_UNKNOWN_DEVICE). Without `device_id` the request
 * has no device (an empty device ID).
 */
@Injectable()
export class AppserviceAuthenticator implements AppserviceTokenResolver {
  private readonly knownUsers = new Set<string>();

  constructor(
    private readonly registry: AppserviceRegistry,
    private readonly accounts: AccountStore,
  ) {}

  async resolve(
    serverName: string,
    asToken: string,
    asUser: { userId?: string; deviceId?: string },
  ): Promise<Omit<Requester, 'accessToken'> | undefined> {
    const service = this.registry.byAsToken(serverName, asToken);
    if (!service) return undefined;
    const userId = asUser.userId ?? service.sender;
    if (!coversUser(service, userId))
      throw Errors.forbidden(`Application service ${service.id} cannot masquerade as ${userId}`);
    await this.requireRegistered(userId, userId === service.sender);
    if (asUser.deviceId !== undefined && !(await this.accounts.getDevice(userId, asUser.deviceId))) {
      throw new MatrixError(400, 'M_UNKNOWN_DEVICE', `${userId} has no device ${asUser.deviceId}`);
    }
    return {
      userId,
      deviceId: asUser.deviceId ?? '',
      isGuest: false,
      appservice: { id: service.id, rateLimited: service.rateLimited },
    };
  }

  isUnlimited(serverName: string, asToken: string): boolean {
    return this.registry.byAsToken(serverName, asToken)?.rateLimited === false;
  }

  /** The service's own sender exists as soon as the service does; its namespaced users only once it registered them. */
  private async requireRegistered(userId: string, isSender: boolean): Promise<void> {
    if (this.knownUsers.has(userId)) return;
    const localpart = userId.slice(1, userId.indexOf(':'));
    const serverName = userId.slice(userId.indexOf(':') + 1);
    if (await this.accounts.isLocalpartAvailable(serverName, localpart)) {
      if (!isSender) throw Errors.forbidden(`Application service has not registered ${userId}`);
      await this.accounts.createUser(serverName, localpart, undefined).catch((e: MatrixError) => {
        // Two requests of a new service raced to create its sender: the other one did.
        if (e.errcode !== 'M_USER_IN_USE') throw e;
      });
    }
    if (await this.accounts.isDeactivated(userId)) throw Errors.userDeactivated();
    if (this.knownUsers.size >= KNOWN_USERS_LIMIT) this.knownUsers.clear();
    this.knownUsers.add(userId);
  }
}
