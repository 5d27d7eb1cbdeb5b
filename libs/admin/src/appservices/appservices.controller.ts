import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { load as parseYaml } from 'js-yaml';
import { AppserviceRegistry, RegistrationError, type AppserviceRegistration } from '@lattice/appservice-registry';
import { TenantDirectory } from '@lattice/config';
import { AnyHost, Errors } from '@lattice/http';
import { OperatorGuard } from '../operator.guard';

/**
 * A tenant's application services added at run time (Lattice's own API;
 * Synapse reads registration files only): the body is the registration file
 * itself, as a JSON object or as its YAML text in a JSON string (every body
 * here is JSON), checked exactly as a file is
 * at start. Stored in `appservice_registrations`; every process reads them
 * again within its registry's reload period.
 */
@Controller('_lattice/admin/v1/tenants/:serverName/appservices')
@AnyHost()
@UseGuards(OperatorGuard)
export class AppservicesController {
  constructor(
    private readonly registry: AppserviceRegistry,
    private readonly directory: TenantDirectory,
  ) {}

  @Get()
  list(@Param('serverName') serverName: string) {
    this.tenant(serverName);
    return { appservices: this.registry.servicesOf(serverName).map((r) => this.view(r)) };
  }

  @Post()
  @HttpCode(200)
  async register(@Param('serverName') serverName: string, @Body() body: unknown) {
    this.tenant(serverName);
    try {
      return this.view(await this.registry.register(serverName, registrationOf(body)));
    } catch (e) {
      if (e instanceof RegistrationError) throw Errors.invalidParam(e.message);
      throw e;
    }
  }

  @Delete(':id')
  async unregister(@Param('serverName') serverName: string, @Param('id') id: string) {
    this.tenant(serverName);
    if (this.registry.isFromFile(serverName, id))
      throw Errors.forbidden(`Application service ${id} is registered by a configuration file`);
    if (!(await this.registry.unregister(serverName, id))) throw Errors.notFound('No such application service');
    return {};
  }

  private tenant(serverName: string): void {
    if (!this.directory.forServerName(serverName)) throw Errors.notFound('No such tenant');
  }

  /** What the operator may see: never the tokens. */
  private view(r: AppserviceRegistration) {
    return {
      id: r.id,
      url: r.url,
      sender: r.sender,
      source: this.registry.isFromFile(r.serverName, r.id) ? 'config' : 'database',
      namespaces: {
        users: r.users.map(namespaceView),
        aliases: r.aliases.map(namespaceView),
        rooms: r.rooms.map(namespaceView),
      },
      rate_limited: r.rateLimited,
      protocols: r.protocols,
      receive_ephemeral: r.receiveEphemeral,
    };
  }
}

/** The registration a body carries: a JSON object as is, a string as the YAML text bridges write. */
function registrationOf(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return parseYaml(body);
  } catch (e) {
    throw Errors.invalidParam(`registration: ${(e as Error).message}`);
  }
}

/** The regex as registered: the stored RegExp wraps it in `^(?:…)$`. */
function namespaceView(ns: { exclusive: boolean; regex: RegExp }) {
  return { exclusive: ns.exclusive, regex: ns.regex.source.slice(4, -2) };
}
