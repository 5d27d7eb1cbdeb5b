import { Body, Controller, Delete, Get, Param, Put, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { RegistrationTokens } from '@lattice/accounts';
import { TenantDirectory, tenantSchema, type TenantConfig } from '@lattice/config';
import { AnyHost, Errors, validateBody } from '@lattice/http';
import { Keyring } from '@lattice/rooms';
import { TenantRegistry, TenantStore, type StoredTenant, type TenantChange } from '@lattice/tenants';
import { OperatorGuard } from '../operator.guard';

const tenantBody = z.object({
  public_base_url: z.url().nullable().optional(),
  federation_host: z.string().nullable().optional(),
  hostnames: z.array(z.string().min(1)).optional(),
  registration: z
    .object({ mode: z.enum(['open', 'token', 'closed']).optional(), guests: z.boolean().optional() })
    .optional(),
  disabled: z.boolean().optional(),
});

const managedTokensBody = z.object({ tokens: z.array(z.string()).max(100) });

/** A new tenant not named in a body starts closed to registration: its operator opens it on purpose. */
const NEW_TENANT: Omit<TenantConfig, 'serverName'> = {
  hostnames: [],
  registration: { mode: 'closed', tokens: [], guests: false },
  media: {},
  appServiceConfigFiles: [],
};

/**
 * Tenants at run time (Lattice's own API; Synapse has one server name):
 * create, change, disable. Stored in `tenants`, served by every process
 * without a restart (TenantRegistry), each new tenant with its own ed25519
 * signing key generated at once. For the operator's token, any Host: a
 * tenant being created has no host yet.
 */
@Controller('_lattice/admin/v1/tenants')
@AnyHost()
@UseGuards(OperatorGuard)
export class TenantsController {
  constructor(
    private readonly store: TenantStore,
    private readonly registry: TenantRegistry,
    private readonly directory: TenantDirectory,
    private readonly keyring: Keyring,
    private readonly registrationTokens: RegistrationTokens,
  ) {}

  @Get()
  async list() {
    const rows = await this.store.list();
    const stored = new Set(rows.map((r) => r.tenant.serverName));
    const configured = this.registry.configuredTenants().filter((t) => !stored.has(t.serverName));
    return {
      tenants: [
        ...configured.map((t) => view(t, { source: 'config', disabled: false })),
        ...rows.map((r) => storedView(r)),
      ],
    };
  }

  @Get(':serverName')
  async get(@Param('serverName') serverName: string) {
    const row = await this.store.get(serverName);
    if (row) return { ...storedView(row), signing_key: await this.publicKey(serverName) };
    const configured = this.registry.configured(serverName);
    if (!configured) throw Errors.notFound('No such tenant');
    return {
      ...view(configured, { source: 'config', disabled: false }),
      signing_key: await this.publicKey(serverName),
    };
  }

  /** Creates (201) or changes (200) a tenant; a configured tenant changed here is overridden by its row from then on. */
  @Put(':serverName')
  async put(
    @Param('serverName') serverName: string,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const body = validateBody(tenantBody, raw);
    const existing = (await this.store.get(serverName)) ?? this.registry.configured(serverName);
    const change: TenantChange = {
      ...(body.public_base_url === undefined ? {} : { publicBaseUrl: body.public_base_url ?? undefined }),
      ...(body.federation_host === undefined ? {} : { federationHost: body.federation_host ?? undefined }),
      ...(body.hostnames === undefined ? {} : { hostnames: body.hostnames }),
      ...(body.registration === undefined ? {} : { registration: body.registration }),
      ...(body.disabled === undefined ? {} : { disabled: body.disabled }),
    };
    const base = this.registry.configured(serverName) ?? { serverName, ...NEW_TENANT };
    this.checkTenant(serverName, base, change);
    const stored = await this.store.write(serverName, base, change);
    // Generated now, not at the first signature, so the tenant answers /_matrix/key/v2/server from its first request.
    await this.keyring.signingKey(serverName);
    await this.registry.announce(stored);
    if (!existing) reply.status(201);
    return { ...storedView(stored), signing_key: await this.publicKey(serverName) };
  }

  /**
   * The registration tokens the deployment's operator keeps for this tenant (a LatticeTenant's token
   * Secrets): replaced as a set, so rotating the Secret retires the old token. Tokens made with the
   * registration tokens admin API are not touched.
   */
  @Put(':serverName/registration_tokens')
  async putManagedTokens(@Param('serverName') serverName: string, @Body() raw: unknown) {
    const body = validateBody(managedTokensBody, raw);
    if (!this.registry.configured(serverName) && !(await this.store.get(serverName)))
      throw Errors.notFound('No such tenant');
    return this.registrationTokens.replaceManaged(serverName, body.tokens);
  }

  /** Disables the tenant: no process serves it any more; its users, rooms and keys stay, and enabling it again (PUT disabled: false) brings it back. */
  @Delete(':serverName')
  async disable(@Param('serverName') serverName: string) {
    const base = this.registry.configured(serverName) ?? (await this.store.get(serverName))?.tenant;
    if (!base) throw Errors.notFound('No such tenant');
    const stored = await this.store.write(serverName, base, { disabled: true });
    await this.registry.announce(stored);
    return storedView(stored);
  }

  /** The tenant as it would be, checked as the configuration file's tenants are, and its hosts not another tenant's. */
  private checkTenant(serverName: string, base: TenantConfig, change: TenantChange): void {
    const candidate = {
      serverName,
      publicBaseUrl: 'publicBaseUrl' in change ? change.publicBaseUrl : base.publicBaseUrl,
      federationHost: 'federationHost' in change ? change.federationHost : base.federationHost,
      hostnames: change.hostnames ?? base.hostnames,
      registration: { ...base.registration, ...(change.registration ?? {}) },
    };
    const parsed = tenantSchema.safeParse(candidate);
    if (!parsed.success)
      throw Errors.invalidParam(
        parsed.error.issues.map((i) => `${i.path.join('.') || 'tenant'}: ${i.message}`).join('; '),
      );
    for (const host of [serverName, ...candidate.hostnames]) {
      const owner =
        this.directory.forServerName(host) ?? this.directory.tenants.find((t) => t.hostnames.includes(host));
      if (owner && owner.serverName !== serverName)
        throw Errors.invalidParam(`${host} already belongs to tenant ${owner.serverName}`);
    }
  }

  private async publicKey(serverName: string) {
    const key = await this.keyring.signingKey(serverName);
    return { key_id: key.keyId, public_key: key.publicKeyBase64 };
  }
}

function storedView(row: StoredTenant) {
  return {
    ...view(row.tenant, { source: 'database', disabled: row.disabled }),
    version: row.version.toString(),
    updated_at: row.updatedAt.getTime(),
  };
}

function view(tenant: TenantConfig, extra: { source: 'config' | 'database'; disabled: boolean }) {
  return {
    server_name: tenant.serverName,
    public_base_url: tenant.publicBaseUrl ?? null,
    federation_host: tenant.federationHost ?? null,
    hostnames: tenant.hostnames,
    registration: { mode: tenant.registration.mode, guests: tenant.registration.guests },
    ...extra,
  };
}
