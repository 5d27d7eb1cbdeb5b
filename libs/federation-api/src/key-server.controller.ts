import { Controller, Get } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { Public, Tenant } from '@lattice/http';
import { signJson, type JsonObject } from '@lattice/protocol';
import { Keyring, KEY_VALIDITY_MS } from '@lattice/room-server';

/** Lattice's version string in /_matrix/federation/v1/version. */
const VERSION = '0.1.0';

/**
 * The tenant's published signing keys (server-server-api "Publishing Keys")
 * and the federation version endpoint. Each tenant answers with its own key,
 * chosen by the request's Host, as separate homeservers would.
 */
@Controller()
export class KeyServerController {
  constructor(private readonly keyring: Keyring) {}

  @Get('_matrix/key/v2/server')
  @Public()
  async serverKeys(@Tenant() tenant: TenantConfig) {
    const current = await this.keyring.signingKey(tenant.serverName);
    const keys = await this.keyring.publishedKeys(tenant.serverName);
    const verifyKeys: JsonObject = {};
    const oldKeys: JsonObject = {};
    for (const key of keys) {
      if (key.expiredTs === null) verifyKeys[key.keyId] = { key: key.publicKey };
      else oldKeys[key.keyId] = { key: key.publicKey, expired_ts: Number(key.expiredTs) };
    }
    const body: JsonObject = {
      server_name: tenant.serverName,
      valid_until_ts: Date.now() + KEY_VALIDITY_MS,
      verify_keys: verifyKeys,
      old_verify_keys: oldKeys,
    };
    return signJson(body, tenant.serverName, current);
  }

  @Get('_matrix/federation/v1/version')
  @Public()
  version() {
    return { server: { name: 'Lattice', version: VERSION } };
  }
}
