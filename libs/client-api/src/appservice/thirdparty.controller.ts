import { Controller, Get, Param, Query } from '@nestjs/common';
import { AppserviceClient, AppserviceRegistry, type AppserviceRegistration } from '@lattice/appservice-registry';
import type { TenantConfig } from '@lattice/config';
import { Auth, Errors, Requester, Tenant } from '@lattice/http';

type Protocol = Record<string, unknown> & { instances?: Array<Record<string, unknown>> };

/**
 * The /thirdparty routes (client-server-api "Third-party Networks"),
 * answered by asking the application services that registered the
 * protocol (application-service-api "Third-party networks"). A service that
 * fails or does not answer is left out; a protocol nobody serves is 404.
 */
@Controller('_matrix/client/v3/thirdparty')
export class ThirdPartyController {
  constructor(
    private readonly registry: AppserviceRegistry,
    private readonly client: AppserviceClient,
  ) {}

  @Get('protocols')
  async protocols(@Auth() _r: Requester, @Tenant() t: TenantConfig) {
    const names = [...new Set(this.registry.servicesOf(t.serverName).flatMap((s) => s.protocols))];
    const answers: Record<string, Protocol> = {};
    for (const name of names) {
      const protocol = await this.protocolOf(t, name);
      if (protocol) answers[name] = protocol;
    }
    return answers;
  }

  @Get('protocol/:protocol')
  async protocol(@Auth() _r: Requester, @Tenant() t: TenantConfig, @Param('protocol') name: string) {
    const protocol = await this.protocolOf(t, name);
    if (!protocol) throw Errors.notFound(`Protocol ${name} is not supported`);
    return protocol;
  }

  @Get('location/:protocol')
  locationsByProtocol(
    @Auth() _r: Requester,
    @Tenant() t: TenantConfig,
    @Param('protocol') name: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.gather(this.servingProtocol(t, name), `location/${encodeURIComponent(name)}`, fieldsOf(query));
  }

  @Get('user/:protocol')
  usersByProtocol(
    @Auth() _r: Requester,
    @Tenant() t: TenantConfig,
    @Param('protocol') name: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.gather(this.servingProtocol(t, name), `user/${encodeURIComponent(name)}`, fieldsOf(query));
  }

  @Get('location')
  locationsByAlias(@Auth() _r: Requester, @Tenant() t: TenantConfig, @Query('alias') alias?: string) {
    if (!alias) throw Errors.missingParam('Missing query parameter: alias');
    return this.gather(this.withProtocols(t), 'location', { alias });
  }

  @Get('user')
  usersById(@Auth() _r: Requester, @Tenant() t: TenantConfig, @Query('userid') userid?: string) {
    if (!userid) throw Errors.missingParam('Missing query parameter: userid');
    return this.gather(this.withProtocols(t), 'user', { userid });
  }

  /**
   * One protocol's metadata: the first answer's fields, with the instances of
   * every service serving it, each given the `instance_id`
   * (`<service id>|<network id>`) that /publicRooms' third_party_instance_id names.
   */
  private async protocolOf(t: TenantConfig, name: string): Promise<Protocol | undefined> {
    let merged: Protocol | undefined;
    for (const service of this.registry.withProtocol(t.serverName, name)) {
      const answer = await this.client.thirdParty(service, `protocol/${encodeURIComponent(name)}`, {});
      if (!isObject(answer)) continue;
      const instances = (Array.isArray(answer.instances) ? answer.instances.filter(isObject) : []).map((instance) => ({
        ...instance,
        instance_id:
          typeof instance.network_id === 'string' ? `${service.id}|${instance.network_id}` : instance.instance_id,
      }));
      merged = merged
        ? { ...merged, instances: [...(merged.instances ?? []), ...instances] }
        : { ...answer, instances };
    }
    return merged;
  }

  private servingProtocol(t: TenantConfig, name: string): AppserviceRegistration[] {
    const services = this.registry.withProtocol(t.serverName, name);
    if (services.length === 0) throw Errors.notFound(`Protocol ${name} is not supported`);
    return services;
  }

  private withProtocols(t: TenantConfig): AppserviceRegistration[] {
    return this.registry.servicesOf(t.serverName).filter((s) => s.url !== null && s.protocols.length > 0);
  }

  private async gather(
    services: AppserviceRegistration[],
    path: string,
    query: Record<string, string>,
  ): Promise<unknown[]> {
    const answers = await Promise.all(services.map((s) => this.client.thirdParty(s, path, query)));
    return answers.flatMap((answer) => (Array.isArray(answer) ? answer : []));
  }
}

/** The search fields of a query: every parameter but the access token, as the service defined them. */
function fieldsOf(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).filter(
      (entry): entry is [string, string] => entry[0] !== 'access_token' && typeof entry[1] === 'string',
    ),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
