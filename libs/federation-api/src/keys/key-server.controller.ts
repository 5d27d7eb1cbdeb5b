import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { ServerKeys } from '@lattice/federation';
import { Errors, integerParam, Public, Tenant } from '@lattice/http';
import { canonicalJson, isValidServerName, signJson, type JsonObject } from '@lattice/protocol';
import { Keyring } from '@lattice/rooms';

/** Lattice's version string in /_matrix/federation/v1/version. */
const VERSION = '0.1.0';
/** Servers one notary query may name: bounds the fetching one request can cause. */
const MAX_QUERIED_SERVERS = 100;

/**
 * The tenant's published signing keys (server-server-api "Publishing
 * Keys"), the notary key query ("Querying Keys Through Another Server") and
 * the version endpoint. Each tenant answers with its own key, chosen by the
 * request's Host, as separate homeservers would. None of these is signed:
 * they are how servers get the keys that signing needs.
 */
@Controller()
export class KeyServerController {
  constructor(
    private readonly keys: ServerKeys,
    private readonly keyring: Keyring,
  ) {}

  /**
   * Sent as its canonical JSON, byte for byte what was signed: a server may
   * check the signature on the body as received, less its `signatures`, and
   * not re-encode it first.
   */
  @Get('_matrix/key/v2/server')
  @Public()
  @Header('Content-Type', 'application/json')
  async serverKeys(@Tenant() tenant: TenantConfig) {
    return canonicalJson(await this.keys.ownResponse(tenant.serverName));
  }

  @Get('_matrix/key/v2/query/:serverName')
  @Public()
  queryOne(
    @Tenant() tenant: TenantConfig,
    @Param('serverName') serverName: string,
    @Query('minimum_valid_until_ts') minimum?: string,
  ) {
    return this.query(tenant, { [serverName]: integerParam('minimum_valid_until_ts', minimum, 0) });
  }

  @Post('_matrix/key/v2/query')
  @Public()
  @HttpCode(200)
  queryMany(@Tenant() tenant: TenantConfig, @Body() body: unknown) {
    const servers = (body as { server_keys?: unknown } | undefined)?.server_keys;
    if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
      throw Errors.badJson('server_keys must be an object');
    const wanted: Record<string, number | undefined> = {};
    for (const [serverName, criteria] of Object.entries(
      servers as Record<string, Record<string, { minimum_valid_until_ts?: unknown }>>,
    )) {
      const minimums = Object.values(criteria ?? {})
        .map((c) => c?.minimum_valid_until_ts)
        .filter((m): m is number => typeof m === 'number');
      wanted[serverName] = minimums.length ? Math.max(...minimums) : undefined;
    }
    return this.query(tenant, wanted);
  }

  /** Delegation of the tenant's federation traffic to another host (config tenants[].federationHost). */
  @Get('.well-known/matrix/server')
  @Public()
  wellKnown(@Tenant() tenant: TenantConfig) {
    if (!tenant.federationHost) throw Errors.notFound('This server does not delegate federation');
    return { 'm.server': tenant.federationHost };
  }

  @Get('_matrix/federation/v1/version')
  @Public()
  version() {
    return { server: { name: 'Lattice', version: VERSION } };
  }

  /** Every held response for each server, countersigned by this tenant; servers that cannot be reached are left out. */
  private async query(tenant: TenantConfig, wanted: Record<string, number | undefined>) {
    const servers = Object.keys(wanted);
    if (servers.length > MAX_QUERIED_SERVERS)
      throw Errors.invalidParam(`At most ${MAX_QUERIED_SERVERS} servers per query`);
    const key = await this.keyring.signingKey(tenant.serverName);
    const serverKeys: JsonObject[] = [];
    for (const serverName of servers.filter(isValidServerName)) {
      const responses = await this.keys.responsesFor(serverName, wanted[serverName] ?? Date.now()).catch(() => []);
      serverKeys.push(...responses.map((response) => signJson(response, tenant.serverName, key)));
    }
    return { server_keys: serverKeys };
  }
}
