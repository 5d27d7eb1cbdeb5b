import { Body, Controller, HttpCode, Logger, Post } from '@nestjs/common';
import {
  AccountStore,
  CROSS_SIGNING_USAGES,
  CrossSigningStore,
  DeviceKeyStore,
  DeviceListStore,
  checkDeviceSignature,
  checkMasterSignatureByDevices,
  checkUserSignature,
  crossSigningPublicKey,
  requireSignedByMaster,
  sameSignedContent,
  uploadNeedsAuth,
  type CrossSigningKeys,
  type CrossSigningUsage,
  type SignatureOutcome,
} from '@lattice/accounts';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { FederationClient } from '@lattice/federation';
import { Auth, Errors, Requester, Tenant, requireJsonObject } from '@lattice/http';
import { serverNameOf, type JsonObject } from '@lattice/protocol';
import { requirePassword } from '../accounts/password-stage';
import type { AuthDict } from '../auth/user-interactive-auth';

/**
 * Cross-signing (client-server-api "Cross-signing"): the upload of a user's
 * master, self-signing and user-signing keys, and of signatures made with
 * them or of the master key by the user's devices. A change is a
 * device-list change, so clients query the keys again; a change of the
 * master or self-signing key also goes to other servers (m.signing_key_update).
 */
@Controller('_matrix/client/v3/keys')
export class CrossSigningController {
  private readonly logger = new Logger(CrossSigningController.name);
  constructor(
    private readonly accounts: AccountStore,
    private readonly crossSigning: CrossSigningStore,
    private readonly keys: DeviceKeyStore,
    private readonly deviceLists: DeviceListStore,
    private readonly federation: FederationClient,
    private readonly tenants: TenantDirectory,
  ) {}

  @Post('device_signing/upload')
  @HttpCode(200)
  async uploadKeys(@Auth() r: Requester, @Body() raw: unknown) {
    const body = requireJsonObject(raw);
    const uploaded: CrossSigningKeys = {};
    for (const usage of CROSS_SIGNING_USAGES)
      if (body[`${usage}_key`] !== undefined) uploaded[usage] = body[`${usage}_key`] as JsonObject;
    const existing = await this.crossSigning.keysOf(r.userId);
    if (uploadNeedsAuth(existing, uploaded))
      await requirePassword(this.accounts, r.userId, body.auth as AuthDict | undefined);

    const publicKeys: Partial<Record<CrossSigningUsage, string>> = {};
    for (const usage of CROSS_SIGNING_USAGES)
      if (uploaded[usage]) publicKeys[usage] = crossSigningPublicKey(uploaded[usage], r.userId, usage);
    const masterKey = publicKeys.master ?? (existing.master ? publicKeyOf(existing.master) : undefined);
    for (const usage of ['self_signing', 'user_signing'] as const)
      if (uploaded[usage]) requireSignedByMaster(uploaded[usage], r.userId, masterKey, usage);
    // Key IDs of devices and of cross-signing keys share one namespace (ed25519:<id>).
    const deviceIds = new Set((await this.accounts.listDevices(r.userId)).map((d) => d.deviceId));
    if (Object.values(publicKeys).some((k) => deviceIds.has(k))) throw Errors.forbidden('Key ID in use by a device');

    const changed = CROSS_SIGNING_USAGES.filter(
      (u) => uploaded[u] && !(existing[u] && sameSignedContent(uploaded[u], existing[u])),
    );
    if (changed.length === 0) return {};
    await this.crossSigning.replace(
      r.userId,
      Object.fromEntries(changed.map((u) => [u, { json: uploaded[u]!, publicKey: publicKeys[u]! }])),
    );
    await this.deviceLists.signingKeysChanged(
      r.userId,
      'local',
      changed.includes('master') || changed.includes('self_signing'),
    );
    return {};
  }

  @Post('signatures/upload')
  @HttpCode(200)
  async uploadSignatures(@Auth() r: Requester, @Tenant() t: TenantConfig, @Body() raw: unknown) {
    requireJsonObject(raw);
    const own = await this.crossSigning.keysOf(r.userId);
    const ownMaster = own.master ? publicKeyOf(own.master) : undefined;
    const selfSigning = own.self_signing ? publicKeyOf(own.self_signing) : undefined;
    const userSigning = own.user_signing ? publicKeyOf(own.user_signing) : undefined;
    const devices = await this.keys.keysOf(r.userId);
    const failures: Record<string, Record<string, JsonObject>> = {};
    const signedDevices: string[] = [];
    let signedMaster = false;
    const signedUsers = new Set<string>();

    for (const [userId, byKey] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof byKey !== 'object' || byKey === null || Array.isArray(byKey))
        throw Errors.badJson(`${userId} must map key IDs to signed objects`);
      for (const [keyId, signed] of Object.entries(byKey as Record<string, unknown>)) {
        let outcome: SignatureOutcome;
        if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) {
          outcome = { failure: { errcode: 'M_BAD_JSON', error: 'Not a signed object' } };
        } else if (userId === r.userId && keyId === ownMaster) {
          outcome = checkMasterSignatureByDevices(r.userId, signed as JsonObject, own.master!, devices);
          if ('signatures' in outcome && Object.keys(outcome.signatures).length > 0) {
            await this.crossSigning.signMaster(r.userId, outcome.signatures);
            signedMaster = true;
          }
        } else if (userId === r.userId) {
          outcome = checkDeviceSignature(r.userId, signed as JsonObject, devices[keyId], selfSigning);
          if ('signatures' in outcome) {
            await this.keys.addSignatures(r.userId, keyId, outcome.signatures);
            signedDevices.push(keyId);
          }
        } else {
          const target = await this.masterKeyOf(t, userId);
          outcome =
            target && publicKeyOf(target) !== keyId
              ? { failure: { errcode: 'M_NOT_FOUND', error: `${keyId} is not ${userId}'s master key` } }
              : checkUserSignature(r.userId, signed as JsonObject, target, userSigning);
          if ('signatures' in outcome) {
            await this.crossSigning.addUserSignatures(r.userId, userId, keyId, outcome.signatures);
            signedUsers.add(userId);
          }
        }
        if ('failure' in outcome) (failures[userId] ??= {})[keyId] = outcome.failure;
      }
    }
    if (signedDevices.length > 0) await this.deviceLists.changed(r.userId, signedDevices, 'local');
    if (signedMaster) await this.deviceLists.signingKeysChanged(r.userId, 'local', true);
    // The signer's devices query a user they signed again (device_lists.changed), which shows them the new signature; nothing goes to other servers.
    for (const userId of signedUsers)
      await this.deviceLists.signingKeysChanged(
        userId,
        this.tenants.isLocal(serverNameOf(userId) ?? '') ? 'local' : 'remote',
        false,
      );
    return { failures };
  }

  /** Another user's master key: ours from the store, another server's asked for (undefined when it has none or cannot be reached). */
  private async masterKeyOf(t: TenantConfig, userId: string): Promise<JsonObject | undefined> {
    const server = serverNameOf(userId);
    if (!server) return undefined;
    if (this.tenants.isLocal(server)) return (await this.crossSigning.keysOf(userId)).master;
    const answer = await this.federation
      .request<{ master_keys?: Record<string, JsonObject> }>(
        t.serverName,
        server,
        'POST',
        '/_matrix/federation/v1/user/keys/query',
        { device_keys: { [userId]: [] } },
      )
      .catch((e: unknown) =>
        this.logger.debug(`Master key of ${userId} not fetched from ${server}; taken as having none: ${String(e)}`),
      );
    return answer?.master_keys?.[userId];
  }
}

/** The public key of a stored (already checked) cross-signing key. */
function publicKeyOf(key: JsonObject): string {
  return Object.values(key.keys as Record<string, string>)[0];
}
